with source as (
    select * from {{ source('document', 'incoming_documents') }}
),

renamed as (
    select
        normalize(upper(trim(ma_van_ban_den)), nfc) as receipt_id,
        normalize(upper(trim(ma_dinh_danh_noi_nhan)), nfc) as receiving_agency_code,
        so_den as arrival_number,
        ngay_den as registered_at,
        normalize(trim(ma_van_ban), nfc) as document_id,
        normalize(upper(trim(ma_dinh_danh_noi_gui)), nfc) as sending_agency_code,
        normalize(trim(so_ky_hieu), nfc) as number_symbol,
        nhan_dien_tu as is_received_electronically,
        xu_ly_tren_moi_truong_mang as is_processed_online,
        ngay_hoan_thanh as completed_at,
        ngay_cap_nhat as source_updated_at,
        _load_id as load_id
    from source
)

select * from renamed
