-- Nothing appears or disappears between layers: every raw row of the three document entities is one fact row,
-- and the KPI mart counts every outgoing document and every registration once, with the same numerators.
with raw_rows as (
    select
        (select count(*) from {{ source('document', 'outgoing_documents') }}) as outgoing,
        (select count(*) from {{ source('document', 'incoming_documents') }}) as incoming,
        (select count(*) from {{ source('document', 'exchange_events') }}) as events
),

fact_rows as (
    select
        (select count(*) from {{ ref('fct_documents') }}) as outgoing,
        (select count(*) filter (where is_sent_electronically) from {{ ref('fct_documents') }}) as electronic,
        (select count(*) filter (where is_e_signed) from {{ ref('fct_documents') }}) as e_signed,
        (select count(*) from {{ ref('fct_document_receipts') }}) as incoming,
        (select count(*) filter (where is_processed_online) from {{ ref('fct_document_receipts') }})
            as processed_online,
        (select count(*) from {{ ref('fct_document_exchanges') }}) as events
),

mart_totals as (
    select
        coalesce(sum(outgoing_documents), 0) as outgoing,
        coalesce(sum(outgoing_sent_electronically), 0) as electronic,
        coalesce(sum(outgoing_e_signed), 0) as e_signed,
        coalesce(sum(incoming_documents), 0) as incoming,
        coalesce(sum(incoming_processed_online), 0) as processed_online
    from {{ ref('shared_document_kpis_monthly') }}
)

select
    raw_rows.outgoing as raw_outgoing,
    fact_rows.outgoing as fact_outgoing,
    mart_totals.outgoing as mart_outgoing,
    raw_rows.incoming as raw_incoming,
    fact_rows.incoming as fact_incoming,
    mart_totals.incoming as mart_incoming,
    raw_rows.events as raw_events,
    fact_rows.events as fact_events
from raw_rows
cross join fact_rows
cross join mart_totals
where raw_rows.outgoing <> fact_rows.outgoing
    or fact_rows.outgoing <> mart_totals.outgoing
    or fact_rows.electronic <> mart_totals.electronic
    or fact_rows.e_signed <> mart_totals.e_signed
    or raw_rows.incoming <> fact_rows.incoming
    or fact_rows.incoming <> mart_totals.incoming
    or fact_rows.processed_online <> mart_totals.processed_online
    or raw_rows.events <> fact_rows.events
