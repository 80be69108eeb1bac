with source as (
    select * from {{ source('dossier', 'procedures') }}
),

renamed as (
    select
        normalize(trim(ma_tthc), nfc) as procedure_code,
        normalize(trim(ten_tthc), nfc) as procedure_name,
        normalize(trim(ten_linh_vuc), nfc) as field_name,
        case cap_thuc_hien
            when 'Cấp Tỉnh' then 'province'
            when 'Cấp Huyện' then 'district'
            when 'Cấp Xã' then 'commune'
        end as level,
        thoi_han_giai_quyet as time_limit_working_days,
        phi_le_phi as fee_vnd,
        case muc_do_dvc
            when 'TOAN_TRINH' then 'full_online'
            when 'MOT_PHAN' then 'partial_online'
            when 'KHONG' then 'none'
        end as service_level,
        lich_su_muc_do as service_level_history,
        ngay_cap_nhat as source_updated_at,
        _load_id as load_id
    from source
)

select * from renamed
