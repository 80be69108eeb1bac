with source as (
    select * from {{ source('document', 'exchange_events') }}
),

renamed as (
    select
        lower(trim(ma_su_kien)) as event_id,
        normalize(trim(ma_van_ban), nfc) as document_id,
        normalize(upper(trim(ma_dinh_danh_noi_gui)), nfc) as sending_agency_code,
        normalize(upper(trim(ma_dinh_danh_noi_nhan)), nfc) as receiving_agency_code,
        trim(ma_trang_thai) as status_code,
        case trim(ma_trang_thai)
            when '01' then 'arrived'
            when '02' then 'refused'
            when '03' then 'registered'
            when '04' then 'assigned'
            when '05' then 'in_progress'
            when '06' then 'done'
            when '13' then 'recall_requested'
            when '15' then 'recall_accepted'
            when '16' then 'recall_refused'
        end as status,
        normalize(trim(ten_trang_thai), nfc) as status_name_vi,
        loai_nghiep_vu as business_type_code,
        case loai_nghiep_vu
            when 0 then 'new'
            when 1 then 'revoke'
            when 2 then 'update'
            when 3 then 'replace'
        end as business_type,
        thoi_gian as reported_at,
        ngay_cap_nhat as source_updated_at,
        _load_id as load_id
    from source
)

select * from renamed
