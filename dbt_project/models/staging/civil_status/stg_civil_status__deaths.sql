-- Personal data stops here: staging selects none of the fields the contract marks personal (the deceased's
-- and the requester's names, sex, birth date, ethnicity, nationality, residence, identity number, date, place
-- and cause of death, the relationship, the free-text note), and keeps no derivative of them (no indicator
-- needs one). The entry's number and book (so, quyen_so) point at one person's entry in the register: dropped
-- too. The entry id is kept for the warehouse to hash (fct_civil_registrations).
with source as (
    select * from {{ source('civil_status', 'deaths') }}
),

renamed as (
    select
        id as register_entry_id,
        ngay_dang_ky as registered_date,
        case loai_dang_ky
            when 1 then 'on_time'
            when 2 then 'late'
            when 3 then 're_registration'
        end as registration_kind,
        normalize(upper(trim(noi_dang_ky)), nfc) as registering_agency_code,
        ngay_cap_nhat as source_updated_at,
        _load_id as load_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
