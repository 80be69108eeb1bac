-- Schools are institutions, not people. The street address (Địa chỉ) is free text that is not needed
-- downstream (the commune code places the school) and could name a person ("nhà ông …"): it stops here, with
-- any column the workbook adds (kept in raw._extra, e.g. a telephone number).
with source as (
    select * from {{ source('education', 'schools') }}
),

renamed as (
    select
        normalize(trim(_row_key), nfc) as school_year_key,
        trim(ma_truong) as school_code,
        normalize(trim(ten_truong), nfc) as school_name,
        case normalize(trim(cap_hoc), nfc)
            when 'Mầm non' then 'preschool'
            when 'Tiểu học' then 'primary'
            when 'THCS' then 'lower_secondary'
            when 'THPT' then 'upper_secondary'
        end as school_level,
        case normalize(trim(loai_hinh), nfc)
            when 'Công lập' then 'public'
            when 'Dân lập' then 'community'
            when 'Tư thục' then 'private'
        end as ownership,
        trim(ma_xa) as commune_code,
        normalize(trim(ten_xa), nfc) as commune_name,
        trim(nam_hoc) as school_year,
        left(trim(nam_hoc), 4)::integer as school_year_start,
        _file_sha256 as file_sha256,
        _load_id as load_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
