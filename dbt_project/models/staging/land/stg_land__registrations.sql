-- ten_chu_su_dung (the land user, a person or an organisation) is personal data: not selected. The parcel's
-- map sheet and number (so_to_ban_do, so_thua) are not marked personal, but with the commune they find one
-- land user's parcel in the cadastre, and no indicator needs them: not selected either. The table's surrogate
-- id is the source's paging key, not the business key: left out.
with source as (
    select * from {{ source('land', 'registrations') }}
),

renamed as (
    select
        normalize(upper(trim(ma_ho_so)), nfc) as dossier_code,
        normalize(trim(loai_thu_tuc), nfc) as procedure_name,
        normalize(upper(trim(ma_co_quan_tiep_nhan)), nfc) as receiving_agency_code,
        trim(ma_xa) as commune_code,
        dien_tich as area_m2,
        upper(trim(muc_dich_su_dung)) as land_use_codes,
        ngay_tiep_nhan as received_date,
        ngay_hen_tra as due_date,
        ngay_tra_ket_qua as returned_date,
        trang_thai as status_code,
        case trang_thai
            when 1 then 'received'
            when 2 then 'in_progress'
            when 3 then 'supplement_requested'
            when 4 then 'awaiting_financial_obligations'
            when 5 then 'result_ready'
            when 6 then 'result_returned'
            when 7 then 'refused'
        end as status,
        updated_at as source_updated_at,
        _load_id as load_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
