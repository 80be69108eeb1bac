{{
    config(
        materialized='incremental',
        unique_key='receipt_id',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}

with receipts as (
    select * from {{ ref('stg_document__incoming_documents') }}
),

agencies as (
    select * from {{ ref('dim_agencies') }}
),

receipts_dated as (
    select
        *,
        -- A DocumentId names its issuer: the sender when the record leaves MaDinhDanhNoiGui out.
        coalesce(sending_agency_code, upper(split_part(document_id, ',', 1))) as sender_code,
        (registered_at at time zone 'Asia/Ho_Chi_Minh')::date as registered_date,
        {{ document_id_date('document_id') }} as document_issued_date
    from receipts
),

receipts_with_agencies as (
    select
        receipts_dated.receipt_id,
        receipts_dated.document_id,
        receipts_dated.receiving_agency_code,
        receiving_agencies.agency_version_id as receiving_agency_version_id,
        receiving_agencies.level as receiving_level,
        receipts_dated.sender_code as sending_agency_code,
        sending_agencies.agency_version_id as sending_agency_version_id,
        receipts_dated.document_issued_date,
        receipts_dated.arrival_number,
        receipts_dated.number_symbol,
        receipts_dated.registered_at,
        receipts_dated.registered_date,
        (date_trunc('month', receipts_dated.registered_date))::date as registered_month,
        receipts_dated.completed_at,
        (receipts_dated.completed_at at time zone 'Asia/Ho_Chi_Minh')::date as completed_date,
        receipts_dated.completed_at is not null as is_completed,
        receipts_dated.is_received_electronically,
        receipts_dated.is_processed_online,
        receipts_dated.source_updated_at,
        receipts_dated.load_id
    from receipts_dated
    left join agencies as receiving_agencies
        on {{ agency_on('receipts_dated.receiving_agency_code', 'receipts_dated.registered_date',
                        'receiving_agencies') }}
    -- The sender as it was when it issued the document, which may be the day before the reorganisation.
    left join agencies as sending_agencies
        on {{ agency_on('receipts_dated.sender_code', 'receipts_dated.document_issued_date',
                        'sending_agencies') }}
),

receipts_to_merge as (
    select receipts_with_agencies.*
    from receipts_with_agencies
    {% if is_incremental() %}
    left join {{ this }} as built on receipts_with_agencies.receipt_id = built.receipt_id
    -- New rows however late they arrived, rows the source changed since, and rows whose agency versions (or the
    -- level recorded for them) a change in the directory moved; the rest is already as a full rebuild makes it.
    where built.receipt_id is null
        or receipts_with_agencies.source_updated_at > built.source_updated_at
        or receipts_with_agencies.load_id <> built.load_id
        or receipts_with_agencies.receiving_agency_version_id is distinct from built.receiving_agency_version_id
        or receipts_with_agencies.receiving_level is distinct from built.receiving_level
        or receipts_with_agencies.sending_agency_version_id is distinct from built.sending_agency_version_id
    {% endif %}
)

select * from receipts_to_merge
