{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}

with events as (
    select * from {{ ref('stg_document__exchange_events') }}
),

agencies as (
    select * from {{ ref('dim_agencies') }}
),

events_dated as (
    select
        *,
        -- A DocumentId names its issuer: the sender when the record leaves MaDinhDanhNoiGui out.
        coalesce(sending_agency_code, upper(split_part(document_id, ',', 1))) as sender_code,
        (reported_at at time zone 'Asia/Ho_Chi_Minh')::date as reported_date,
        {{ document_id_date('document_id') }} as document_issued_date
    from events
),

events_with_agencies as (
    select
        events_dated.event_id,
        events_dated.document_id,
        events_dated.sender_code as sending_agency_code,
        sending_agencies.agency_version_id as sending_agency_version_id,
        events_dated.document_issued_date,
        events_dated.receiving_agency_code,
        receiving_agencies.agency_version_id as receiving_agency_version_id,
        receiving_agencies.level as receiving_level,
        events_dated.status_code,
        events_dated.status,
        events_dated.business_type_code,
        events_dated.business_type,
        events_dated.status_code = '02' as is_refused,
        events_dated.business_type_code = 1 as is_recall,
        events_dated.reported_at,
        events_dated.reported_date,
        (date_trunc('month', events_dated.reported_date))::date as reported_month,
        events_dated.source_updated_at,
        events_dated.load_id
    from events_dated
    -- The receiver on the day it reported; the sender as it was when it issued the document.
    left join agencies as receiving_agencies
        on {{ agency_on('events_dated.receiving_agency_code', 'events_dated.reported_date', 'receiving_agencies') }}
    left join agencies as sending_agencies
        on {{ agency_on('events_dated.sender_code', 'events_dated.document_issued_date',
                        'sending_agencies') }}
),

events_to_merge as (
    select events_with_agencies.*
    from events_with_agencies
    {% if is_incremental() %}
    left join {{ this }} as built on events_with_agencies.event_id = built.event_id
    -- New rows however late they arrived, rows the source changed since, and rows whose agency versions (or the
    -- level recorded for them) a change in the directory moved; the rest is already as a full rebuild makes it.
    where built.event_id is null
        or events_with_agencies.source_updated_at > built.source_updated_at
        or events_with_agencies.load_id <> built.load_id
        or events_with_agencies.receiving_agency_version_id is distinct from built.receiving_agency_version_id
        or events_with_agencies.receiving_level is distinct from built.receiving_level
        or events_with_agencies.sending_agency_version_id is distinct from built.sending_agency_version_id
    {% endif %}
)

select * from events_to_merge
