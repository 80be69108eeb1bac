-- Counts per school and school year: no personal data.
with source as (
    select * from {{ source('education', 'enrolment') }}
),

renamed as (
    select
        normalize(trim(_row_key), nfc) as school_year_key,
        trim(ma_truong) as school_code,
        trim(nam_hoc) as school_year,
        left(trim(nam_hoc), 4)::integer as school_year_start,
        so_lop as classes,
        so_hoc_sinh as pupils,
        so_hoc_sinh_nu as girls,
        so_giao_vien as teachers,
        _file_sha256 as file_sha256,
        _load_id as load_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
