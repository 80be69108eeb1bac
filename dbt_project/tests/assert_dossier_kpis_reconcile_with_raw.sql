-- Nothing appears or disappears between layers: the mart counts every dossier of the fact once as
-- received, the fact holds every raw row, and every resolved dossier is counted once as resolved.
with raw_rows as (
    select count(*) as dossiers from {{ source('dossier', 'dossiers') }}
),

fact_rows as (
    select
        count(*) as dossiers,
        count(*) filter (where is_resolved) as resolved
    from {{ ref('fct_dossiers') }}
),

mart_totals as (
    select
        coalesce(sum(dossiers_received), 0) as dossiers,
        coalesce(sum(dossiers_resolved), 0) as resolved
    from {{ ref('shared_dossier_kpis_monthly') }}
)

select raw_rows.dossiers as raw_dossiers, fact_rows.dossiers as fact_dossiers, mart_totals.dossiers as mart_dossiers
from raw_rows cross join fact_rows cross join mart_totals
where raw_rows.dossiers <> fact_rows.dossiers
    or fact_rows.dossiers <> mart_totals.dossiers
    or fact_rows.resolved <> mart_totals.resolved
