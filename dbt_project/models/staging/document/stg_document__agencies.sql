with source as (
    select * from {{ source('document', 'agencies') }}
),

renamed as (
    select
        normalize(upper(trim(ma_ban_ghi)), nfc) as agency_record_code,
        normalize(upper(trim(ma_dinh_danh)), nfc) as agency_code,
        normalize(trim(ten_co_quan), nfc) as agency_name,
        case normalize(trim(cap_co_quan), nfc)
            when 'Cấp Tỉnh' then 'province'
            when 'Cấp Huyện' then 'district'
            when 'Cấp Xã' then 'commune'
        end as level,
        normalize(upper(trim(ma_dinh_danh_cap_tren)), nfc) as parent_agency_code,
        trim(ma_don_vi_hanh_chinh) as admin_unit_code,
        hieu_luc_tu_ngay as valid_from,
        hieu_luc_den_ngay as valid_to,
        ngay_cap_nhat as source_updated_at,
        _load_id as load_id
    from source
)

select * from renamed
