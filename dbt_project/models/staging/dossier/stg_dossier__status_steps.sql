with source as (
    select * from {{ source('dossier', 'status_steps') }}
),

renamed as (
    select
        normalize(upper(trim(id_buoc)), nfc) as step_id,
        normalize(upper(trim(ma_ho_so)), nfc) as dossier_code,
        thu_tu as step_number,
        normalize(trim(ten_buoc), nfc) as step_name,
        normalize(trim(don_vi_xu_ly), nfc) as processing_unit,
        -- CanBoXuLy (the officer's name) is personal data: it stops at raw.
        trang_thai as status_code,
        thoi_gian_bat_dau as started_at,
        thoi_gian_ket_thuc as ended_at,
        han_xu_ly as step_due_at,
        ngay_cap_nhat as source_updated_at,
        _load_id as load_id
    from source
)

select * from renamed
