-- Nothing appears or disappears between layers: every raw dossier (the records ingest did not quarantine) is
-- one fact row; the shared mart counts every dossier received, resolved, resolved on time and refused once;
-- and the open mart's published cells add up to the shared mart's for the same month and level.
with raw_rows as (
    select count(*) as dossiers
    from {{ source('land', 'registrations') }}
),

fact_rows as (
    select
        count(*) as dossiers,
        count(*) filter (where is_resolved) as resolved,
        count(*) filter (where is_on_time) as resolved_on_time,
        count(*) filter (where is_refused) as refused
    from {{ ref('fct_land_registrations') }}
),

shared_totals as (
    select
        coalesce(sum(dossiers_received), 0) as dossiers,
        coalesce(sum(dossiers_resolved), 0) as resolved,
        coalesce(sum(dossiers_resolved_on_time), 0) as resolved_on_time,
        coalesce(sum(dossiers_refused), 0) as refused
    from {{ ref('shared_land_kpis_monthly') }}
),

open_totals as (
    -- Only cells that are published can be added up.
    select coalesce(sum(dossiers_received), 0) as dossiers
    from {{ ref('open_land_kpis_monthly') }}
    where dossiers_received is not null
),

shared_under_published_cells as (
    select coalesce(sum(shared.dossiers_received), 0) as dossiers
    from {{ ref('shared_land_kpis_monthly') }} as shared
    inner join {{ ref('open_land_kpis_monthly') }} as published
        on shared.month = published.month and shared.desk_level = published.desk_level
    where published.dossiers_received is not null
)

select
    raw_rows.dossiers as raw_dossiers,
    fact_rows.dossiers as fact_dossiers,
    shared_totals.dossiers as shared_dossiers,
    open_totals.dossiers as open_dossiers,
    shared_under_published_cells.dossiers as shared_under_published
from raw_rows
cross join fact_rows
cross join shared_totals
cross join open_totals
cross join shared_under_published_cells
where raw_rows.dossiers <> fact_rows.dossiers
    or fact_rows.dossiers <> shared_totals.dossiers
    or fact_rows.resolved <> shared_totals.resolved
    or fact_rows.resolved_on_time <> shared_totals.resolved_on_time
    or fact_rows.refused <> shared_totals.refused
    or open_totals.dossiers <> shared_under_published_cells.dossiers
