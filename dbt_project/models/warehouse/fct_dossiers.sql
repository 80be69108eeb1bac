{#- One row per dossier with its outcome. Incremental: each build merges the staging rows of loads newer than
    the fact's newest. The pre-hook logs the versions the merge replaces, for the agency-month counts
    (macros/dossier_changes.sql); the indexes serve the merge and that log (dossier_code), the next build's
    batch and its tests (load_id), the data's last update (source_updated_at), each agency's latest name and
    whether a service received dossiers online in a year. -#}
{{
    config(
        materialized='incremental',
        unique_key='dossier_code',
        incremental_strategy='merge',
        on_schema_change='fail',
        indexes=[
            {'columns': ['dossier_code'], 'unique': True},
            {'columns': ['load_id']},
            {'columns': ['source_updated_at']},
            {'columns': ['receiving_agency_code', 'source_updated_at', 'dossier_code']},
            {'columns': ['procedure_code', 'channel', 'received_date']},
        ],
        pre_hook="{{ record_dossier_changes() }}",
        post_hook=["{{ analyze_if_rebuilt() }}", "{{ record_built_loads() }}"]
    )
}}

with dossiers as (
    select * from {{ ref('stg_dossier__dossiers') }}
    {% if is_incremental() %}
    -- Every raw row a load inserted or changed carries that load's id: newer ids are exactly the late
    -- arrivals, updates and replays since the last build.
    where load_id > {{ newest_load_id(this) }}
        -- No further than the rows the pre-hook logged: a load committed since then waits for the next build.
        and load_id <= (select coalesce(max(load_id), 0) from {{ dossier_changes_relation(this) }})
    {% endif %}
),

calendar as (
    select date_day, working_day_number from {{ ref('dim_date') }}
),

dossiers_with_outcome as (
    select
        dossiers.dossier_code,
        dossiers.procedure_code,
        dossiers.procedure_name,
        dossiers.field_name,
        dossiers.receiving_agency_code,
        dossiers.receiving_agency_name,
        dossiers.channel,
        dossiers.applicant_kind,
        dossiers.submitted_at,
        dossiers.received_at,
        dossiers.due_at,
        dossiers.finished_at,
        dossiers.returned_at,
        dossiers.status_code,
        dossiers.status_code in (9, 10) and dossiers.finished_at is not null as is_resolved,
        case
            when dossiers.status_code in (9, 10) and dossiers.finished_at is not null
                then dossiers.due_at is null or dossiers.finished_at <= dossiers.due_at
        end as is_on_time,
        (dossiers.received_at at time zone 'Asia/Ho_Chi_Minh')::date as received_date,
        (date_trunc('month', dossiers.received_at at time zone 'Asia/Ho_Chi_Minh'))::date as received_month,
        case
            when dossiers.status_code in (9, 10) and dossiers.finished_at is not null
                then (date_trunc('month', dossiers.finished_at at time zone 'Asia/Ho_Chi_Minh'))::date
        end as resolved_month,
        finished_day.working_day_number - received_day.working_day_number as working_days_taken,
        dossiers.fee_vnd,
        coalesce(dossiers.fee_vnd, 0) > 0 as has_fee,
        dossiers.is_paid_online,
        dossiers.source_updated_at,
        dossiers.load_id
    from dossiers
    left join calendar as received_day
        on received_day.date_day = (dossiers.received_at at time zone 'Asia/Ho_Chi_Minh')::date
    left join calendar as finished_day
        on finished_day.date_day = (dossiers.finished_at at time zone 'Asia/Ho_Chi_Minh')::date
)

select * from dossiers_with_outcome
