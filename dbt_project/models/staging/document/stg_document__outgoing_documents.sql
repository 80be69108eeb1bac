with source as (
    select * from {{ source('document', 'outgoing_documents') }}
),

renamed as (
    select
        -- The DocumentId and the symbol keep their case: ký hiệu abbreviations are mixed-case (TTr, QyĐ, CTr).
        normalize(trim(ma_van_ban), nfc) as document_id,
        normalize(upper(trim(ma_dinh_danh_noi_ban_hanh)), nfc) as issuing_agency_code,
        normalize(trim(ten_co_quan_ban_hanh), nfc) as issuing_agency_name,
        case normalize(trim(cap_ban_hanh), nfc)
            when 'Cấp Tỉnh' then 'province'
            when 'Cấp Huyện' then 'district'
            when 'Cấp Xã' then 'commune'
        end as issuing_level,
        so_van_ban as document_number,
        normalize(trim(ky_hieu), nfc) as symbol,
        normalize(trim(so_ky_hieu), nfc) as number_symbol,
        normalize(trim(ma_loai_van_ban), nfc) as document_type_code,
        normalize(trim(ten_loai_van_ban), nfc) as document_type_name,
        normalize(trim(trich_yeu), nfc) as subject,
        ngay_ban_hanh as issued_date,
        normalize(trim(noi_ban_hanh), nfc) as place_of_issue,
        -- NguoiKy (the signer's name) is personal data: it stops at raw. The position is not personal.
        normalize(trim(chuc_vu_nguoi_ky), nfc) as signer_position,
        normalize(upper(trim(tham_quyen_ky)), nfc) as signing_competence,
        noi_nhan as recipients,
        case normalize(trim(do_khan), nfc)
            when 'Thường' then 'normal'
            when 'Khẩn' then 'urgent'
            when 'Thượng khẩn' then 'very_urgent'
            -- Hoả tốc is the same word in the older accent placement.
            when 'Hỏa tốc' then 'flash'
            when 'Hoả tốc' then 'flash'
        end as urgency,
        ky_so as is_e_signed,
        gui_dien_tu as is_sent_electronically,
        so_trang as page_count,
        ngay_cap_nhat as source_updated_at,
        _load_id as load_id
    from source
)

select * from renamed
