with documents as (
    select * from {{ ref('fct_documents') }}
),

receipts as (
    select * from {{ ref('fct_document_receipts') }}
),

outgoing_by_month_and_level as (
    select
        issued_month as month,
        issuing_level as level,
        count(*) as outgoing_documents,
        count(*) filter (where is_sent_electronically) as outgoing_sent_electronically,
        count(*) filter (where is_e_signed) as outgoing_e_signed
    from documents
    group by issued_month, issuing_level
),

incoming_by_month_and_level as (
    select
        registered_month as month,
        receiving_level as level,
        count(*) as incoming_documents,
        count(*) filter (where is_processed_online) as incoming_processed_online
    from receipts
    group by registered_month, receiving_level
),

counts_by_month_and_level as (
    select
        coalesce(outgoing.month, incoming.month) as month,
        coalesce(outgoing.level, incoming.level) as level,
        coalesce(outgoing.outgoing_documents, 0) as outgoing_documents,
        coalesce(outgoing.outgoing_sent_electronically, 0) as outgoing_sent_electronically,
        coalesce(outgoing.outgoing_e_signed, 0) as outgoing_e_signed,
        coalesce(incoming.incoming_documents, 0) as incoming_documents,
        coalesce(incoming.incoming_processed_online, 0) as incoming_processed_online
    from outgoing_by_month_and_level as outgoing
    full outer join incoming_by_month_and_level as incoming
        on outgoing.month = incoming.month and outgoing.level = incoming.level
),

kpis as (
    select
        month,
        level,
        outgoing_documents::integer as outgoing_documents,
        outgoing_sent_electronically::integer as outgoing_sent_electronically,
        {{ safe_rate_pct('outgoing_sent_electronically', 'outgoing_documents') }} as electronic_rate_pct,
        outgoing_e_signed::integer as outgoing_e_signed,
        {{ safe_rate_pct('outgoing_e_signed', 'outgoing_documents') }} as e_signed_rate_pct,
        incoming_documents::integer as incoming_documents,
        incoming_processed_online::integer as incoming_processed_online,
        {{ safe_rate_pct('incoming_processed_online', 'incoming_documents') }} as processed_online_rate_pct
    from counts_by_month_and_level
)

select * from kpis
