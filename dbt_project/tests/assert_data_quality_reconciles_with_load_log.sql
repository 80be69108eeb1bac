-- Nothing appears or disappears: the open data-quality mart counts every successful load's records once, and the
-- agencies' records refused never exceed the source's.
with logged as (
    select
        coalesce(sum(received), 0) as received,
        coalesce(sum(quarantined), 0) as quarantined
    from {{ ref('stg_kho_ingest__load_log') }}
    where status = 'succeeded'
),

published as (
    select
        coalesce(sum(records_received), 0) as received,
        coalesce(sum(records_quarantined), 0) as quarantined
    from {{ ref('open_data_quality_monthly') }}
),

agency_refusals as (
    select source_name, month, sum(records_quarantined) as quarantined
    from {{ ref('shared_data_quality_monthly') }}
    group by 1, 2
),

source_refusals as (
    select source_name, quarantined_month as month, count(*) as quarantined
    from {{ ref('stg_kho_quarantine__records') }}
    group by 1, 2
),

too_many_agency_refusals as (
    select agency_refusals.source_name
    from agency_refusals
    left join source_refusals
        on agency_refusals.source_name = source_refusals.source_name
        and agency_refusals.month = source_refusals.month
    where agency_refusals.quarantined > coalesce(source_refusals.quarantined, 0)
)

select 'open mart' as check_name, logged.received, published.received as published_received
from logged cross join published
where logged.received <> published.received or logged.quarantined <> published.quarantined
union all
select 'agency refusals of ' || source_name, null, null
from too_many_agency_refusals
