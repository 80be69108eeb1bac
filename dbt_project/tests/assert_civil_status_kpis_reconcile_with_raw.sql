-- Nothing appears or disappears between layers: every raw entry of the three registers (the records ingest
-- did not quarantine) is one fact row of its register; the shared mart counts every entry, re-registration
-- and late registration once; and the open mart's published cells add up to the shared mart's for the same
-- month and register.
with raw_rows as (
    select 'birth' as register, count(*) as entries from {{ source('civil_status', 'births') }}
    union all
    select 'marriage' as register, count(*) as entries from {{ source('civil_status', 'marriages') }}
    union all
    select 'death' as register, count(*) as entries from {{ source('civil_status', 'deaths') }}
),

fact_rows as (
    select
        register,
        count(*) as entries,
        count(*) filter (where not is_first_registration) as re_registrations,
        count(*) filter (where is_late) as late
    from {{ ref('fct_civil_registrations') }}
    group by register
),

shared_totals as (
    select
        register,
        sum(registrations) as entries,
        sum(re_registrations) as re_registrations,
        sum(registered_late) as late
    from {{ ref('shared_civil_status_kpis_monthly') }}
    group by register
),

open_totals as (
    -- Only cells that are published can be added up.
    select register, sum(registrations) as entries
    from {{ ref('open_civil_status_kpis_monthly') }}
    where registrations is not null
    group by register
),

shared_under_published_cells as (
    select shared.register, sum(shared.registrations) as entries
    from {{ ref('shared_civil_status_kpis_monthly') }} as shared
    inner join {{ ref('open_civil_status_kpis_monthly') }} as published
        on shared.month = published.month and shared.register = published.register
    where published.registrations is not null
    group by shared.register
)

select
    raw_rows.register,
    raw_rows.entries as raw_entries,
    fact_rows.entries as fact_entries,
    shared_totals.entries as shared_entries,
    open_totals.entries as open_entries
from raw_rows
left join fact_rows on raw_rows.register = fact_rows.register
left join shared_totals on raw_rows.register = shared_totals.register
left join open_totals on raw_rows.register = open_totals.register
left join shared_under_published_cells on raw_rows.register = shared_under_published_cells.register
where raw_rows.entries <> coalesce(fact_rows.entries, 0)
    or coalesce(fact_rows.entries, 0) <> coalesce(shared_totals.entries, 0)
    or coalesce(fact_rows.re_registrations, 0) <> coalesce(shared_totals.re_registrations, 0)
    or coalesce(fact_rows.late, 0) <> coalesce(shared_totals.late, 0)
    or coalesce(open_totals.entries, 0) <> coalesce(shared_under_published_cells.entries, 0)
