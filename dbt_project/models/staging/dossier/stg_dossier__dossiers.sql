with source as (
    select * from {{ source('dossier', 'dossiers') }}
),

renamed as (
    select
        normalize(upper(trim(ma_ho_so)), nfc) as dossier_code,
        normalize(trim(ma_tthc), nfc) as procedure_code,
        normalize(trim(ten_tthc), nfc) as procedure_name,
        normalize(trim(ten_linh_vuc), nfc) as field_name,
        normalize(upper(trim(ma_co_quan_tiep_nhan)), nfc) as receiving_agency_code,
        normalize(trim(ten_co_quan_tiep_nhan), nfc) as receiving_agency_name,
        case kenh_thuc_hien
            when 1 then 'direct'
            when 2 then 'online'
            when 3 then 'postal'
        end as channel,
        case loai_doi_tuong
            when 1 then 'citizen'
            when 2 then 'enterprise'
            when 3 then 'organisation'
        end as applicant_kind,
        -- ChuHoSo (name) and SoDinhDanh (citizen ID) are personal data: they stop at raw.
        ngay_nop_ho_so as submitted_at,
        ngay_tiep_nhan as received_at,
        ngay_hen_tra as due_at,
        ngay_ket_thuc_xu_ly as finished_at,
        ngay_tra as returned_at,
        trang_thai_ho_so as status_code,
        tong_le_phi as fee_vnd,
        coalesce(duoc_thanh_toan_truc_tuyen, false) as is_paid_online,
        ngay_cap_nhat as source_updated_at,
        _load_id as load_id
    from source
)

select * from renamed
