-- Nothing appears or disappears between layers: every raw enrolment row is one fact row, every school of raw
-- is in dim_schools, and both KPI marts count every school and pupil once.
with raw_rows as (
    select
        (select count(*) from {{ source('education', 'enrolment') }}) as enrolment_rows,
        (select coalesce(sum(so_hoc_sinh), 0) from {{ source('education', 'enrolment') }}) as pupils,
        (select count(distinct ma_truong) from (
            select ma_truong from {{ source('education', 'enrolment') }}
            union all
            select ma_truong from {{ source('education', 'schools') }}
        ) as codes) as schools
),

fact_rows as (
    select
        count(*) as enrolment_rows,
        coalesce(sum(pupils), 0) as pupils,
        coalesce(sum(classes), 0) as classes,
        (select count(*) from {{ ref('dim_schools') }}) as schools
    from {{ ref('fct_school_enrolment') }}
),

shared_totals as (
    select
        coalesce(sum(schools), 0) as enrolment_rows,
        coalesce(sum(pupils), 0) as pupils,
        coalesce(sum(classes), 0) as classes
    from {{ ref('shared_education_kpis_yearly') }}
),

open_totals as (
    select coalesce(sum(pupils), 0) as pupils
    from {{ ref('open_education_kpis_yearly') }}
    where not is_suppressed
),

unsuppressed_shared as (
    select coalesce(sum(shared.pupils), 0) as pupils
    from {{ ref('shared_education_kpis_yearly') }} as shared
    inner join {{ ref('open_education_kpis_yearly') }} as published
        on shared.school_year = published.school_year and shared.school_level = published.school_level
    where not published.is_suppressed
)

select
    raw_rows.enrolment_rows as raw_rows,
    fact_rows.enrolment_rows as fact_rows,
    shared_totals.enrolment_rows as shared_schools,
    raw_rows.pupils as raw_pupils,
    fact_rows.pupils as fact_pupils,
    shared_totals.pupils as shared_pupils,
    open_totals.pupils as open_pupils
from raw_rows
cross join fact_rows
cross join shared_totals
cross join open_totals
cross join unsuppressed_shared
where raw_rows.enrolment_rows <> fact_rows.enrolment_rows
    or fact_rows.enrolment_rows <> shared_totals.enrolment_rows
    or raw_rows.pupils <> fact_rows.pupils
    or fact_rows.pupils <> shared_totals.pupils
    or fact_rows.classes <> shared_totals.classes
    or raw_rows.schools <> fact_rows.schools
    or open_totals.pupils <> unsuppressed_shared.pupils
