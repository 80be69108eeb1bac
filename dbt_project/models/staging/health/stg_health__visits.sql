-- The export is aggregated (counts per facility, day, sex and age group): it holds no person, so nothing
-- personal has to be dropped here. Codes are trimmed; text is NFC (a legacy-encoded or NFD file is converted
-- by ingest, but a hand-edited cell may still carry stray spaces).
with source as (
    select * from {{ source('health', 'visits') }}
),

renamed as (
    select
        normalize(trim(_row_key), nfc) as visit_key,
        trim(ma_co_so_kcb) as facility_code,
        normalize(trim(ten_co_so_kcb), nfc) as facility_name,
        case normalize(trim(tuyen), nfc)
            when 'Tỉnh' then 'province'
            when 'Huyện' then 'district'
            when 'Xã' then 'commune'
        end as facility_level,
        trim(ma_xa) as commune_code,
        ngay_kham as visit_date,
        case normalize(trim(gioi_tinh), nfc)
            when 'Nam' then 'male'
            when 'Nữ' then 'female'
        end as sex,
        case normalize(trim(nhom_tuoi), nfc)
            when 'Dưới 6 tuổi' then 'under_6'
            when '6-15 tuổi' then '6_15'
            when '16-59 tuổi' then '16_59'
            when 'Từ 60 tuổi' then '60_plus'
        end as age_group,
        so_luot_kham as visits,
        so_luot_kham_bhyt as insured_visits,
        so_luot_noi_tru as inpatient_admissions,
        so_luot_chuyen_tuyen as referrals,
        _file_date as file_date,
        _file_sha256 as file_sha256,
        _load_id as load_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
