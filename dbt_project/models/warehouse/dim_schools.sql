-- One row per school (school code), described as of the latest school year it appears in, with the first and
-- last school years it was reported. The yearly description stays on fct_school_enrolment.
with school_years as (
    select * from {{ ref('stg_education__schools') }}
),

enrolment_years as (
    select school_code, school_year_start from {{ ref('stg_education__enrolment') }}
),

latest as (
    select distinct on (school_code)
        school_code,
        school_name,
        school_level,
        ownership,
        commune_code,
        commune_name,
        school_year as latest_school_year
    from school_years
    order by school_code, school_year_start desc
),

span as (
    select
        school_code,
        min(school_year_start) as first_year_start,
        max(school_year_start) as last_year_start
    from (
        select school_code, school_year_start from school_years
        union all
        select school_code, school_year_start from enrolment_years
    ) as reported
    group by school_code
),

schools as (
    select
        span.school_code,
        latest.school_name,
        coalesce(latest.school_level, 'unknown') as school_level,
        coalesce(latest.ownership, 'unknown') as ownership,
        latest.commune_code,
        latest.commune_name,
        left(span.school_code, 2) as province_code,
        span.first_year_start::text || '-' || (span.first_year_start + 1)::text as first_school_year,
        span.last_year_start::text || '-' || (span.last_year_start + 1)::text as last_school_year,
        span.last_year_start = max(span.last_year_start) over () as is_open_latest_year
    from span
    left join latest on span.school_code = latest.school_code
)

select * from schools
