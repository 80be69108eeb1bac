{{ config(materialized='table') }}
-- One row per agency, month and level with every document count the KPI marts publish: outgoing documents in the
-- month of issue, by the issuing agency; incoming registrations in the month of registration, by the receiving
-- agency. Shared and open document marts read them from here, so they cannot disagree.
with documents as (
    select * from {{ ref('fct_documents') }}
),

receipts as (
    select * from {{ ref('fct_document_receipts') }}
),

outgoing_by_agency_month as (
    select
        issuing_agency_code as agency_code,
        issued_month as month,
        issuing_level as level,
        count(*) as outgoing_documents,
        count(*) filter (where is_sent_electronically) as outgoing_sent_electronically,
        count(*) filter (where is_e_signed) as outgoing_e_signed
    from documents
    group by issuing_agency_code, issued_month, issuing_level
),

incoming_by_agency_month as (
    select
        receiving_agency_code as agency_code,
        registered_month as month,
        receiving_level as level,
        count(*) as incoming_documents,
        count(*) filter (where is_processed_online) as incoming_processed_online
    from receipts
    group by receiving_agency_code, registered_month, receiving_level
),

counts_by_agency_month as (
    select
        coalesce(outgoing.agency_code, incoming.agency_code) as agency_code,
        coalesce(outgoing.month, incoming.month) as month,
        coalesce(outgoing.level, incoming.level) as level,
        coalesce(outgoing.outgoing_documents, 0)::integer as outgoing_documents,
        coalesce(outgoing.outgoing_sent_electronically, 0)::integer as outgoing_sent_electronically,
        coalesce(outgoing.outgoing_e_signed, 0)::integer as outgoing_e_signed,
        coalesce(incoming.incoming_documents, 0)::integer as incoming_documents,
        coalesce(incoming.incoming_processed_online, 0)::integer as incoming_processed_online
    from outgoing_by_agency_month as outgoing
    full outer join incoming_by_agency_month as incoming
        on outgoing.agency_code = incoming.agency_code
        and outgoing.month = incoming.month
        and outgoing.level = incoming.level
)

select * from counts_by_agency_month
