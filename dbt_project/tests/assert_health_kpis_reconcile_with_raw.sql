-- Nothing appears or disappears between layers: every raw visits row is one fact row, and both KPI marts
-- count every visit, insured visit and referral once.
with raw_rows as (
    select count(*) as visit_rows, coalesce(sum(so_luot_kham), 0) as visits
    from {{ source('health', 'visits') }}
),

fact_rows as (
    select
        count(*) as visit_rows,
        coalesce(sum(visits), 0) as visits,
        coalesce(sum(insured_visits), 0) as insured_visits,
        coalesce(sum(referrals), 0) as referrals
    from {{ ref('fct_health_visits') }}
),

shared_totals as (
    select
        coalesce(sum(visits), 0) as visits,
        coalesce(sum(insured_visits), 0) as insured_visits,
        coalesce(sum(referrals), 0) as referrals
    from {{ ref('shared_health_kpis_monthly') }}
),

open_totals as (
    -- Only rows with nothing withheld can be added up.
    select
        coalesce(sum(visits), 0) as visits
    from {{ ref('open_health_kpis_monthly') }}
    where not is_suppressed
),

unsuppressed_shared as (
    select coalesce(sum(shared.visits), 0) as visits
    from {{ ref('shared_health_kpis_monthly') }} as shared
    inner join {{ ref('open_health_kpis_monthly') }} as published
        on shared.month = published.month and shared.facility_level = published.facility_level
    where not published.is_suppressed
)

select
    raw_rows.visit_rows as raw_rows,
    fact_rows.visit_rows as fact_rows,
    raw_rows.visits as raw_visits,
    fact_rows.visits as fact_visits,
    shared_totals.visits as shared_visits,
    open_totals.visits as open_visits
from raw_rows
cross join fact_rows
cross join shared_totals
cross join open_totals
cross join unsuppressed_shared
where raw_rows.visit_rows <> fact_rows.visit_rows
    or raw_rows.visits <> fact_rows.visits
    or fact_rows.visits <> shared_totals.visits
    or fact_rows.insured_visits <> shared_totals.insured_visits
    or fact_rows.referrals <> shared_totals.referrals
    or open_totals.visits <> unsuppressed_shared.visits
