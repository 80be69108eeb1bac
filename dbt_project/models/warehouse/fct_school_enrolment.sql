-- One row per school per school year: the "Học sinh" sheet's counts with the "Trường học" sheet's description
-- of the school that same year (both keyed by school code and school year). A year's workbook is small
-- (hundreds of schools), so the table is rebuilt whole: a corrected workbook, or rows it removes, need no
-- special handling.
with enrolment as (
    select * from {{ ref('stg_education__enrolment') }}
),

schools as (
    select * from {{ ref('stg_education__schools') }}
),

enrolment_described as (
    select
        enrolment.school_year_key,
        enrolment.school_code,
        enrolment.school_year,
        enrolment.school_year_start,
        -- The day the school year opens (5 September): the date its commune code and agency belong to.
        make_date(enrolment.school_year_start, 9, 5) as school_year_opening_date,
        schools.school_name,
        -- An enrolment row whose school row was quarantined still counts, under 'unknown'.
        coalesce(schools.school_level, 'unknown') as school_level,
        coalesce(schools.ownership, 'unknown') as ownership,
        schools.commune_code,
        left(enrolment.school_code, 2) as province_code,
        enrolment.classes,
        enrolment.pupils,
        enrolment.girls,
        enrolment.teachers,
        greatest(enrolment.load_id, schools.load_id) as load_id
    from enrolment
    left join schools on enrolment.school_year_key = schools.school_year_key
)

select * from enrolment_described
