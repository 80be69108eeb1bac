{{
    config(
        materialized='incremental',
        unique_key='step_id',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}

with steps as (
    select * from {{ ref('stg_dossier__status_steps') }}
    {% if is_incremental() %}
    where load_id > (select coalesce(max(load_id), 0) from {{ this }})
    {% endif %}
),

steps_timed as (
    select
        step_id,
        dossier_code,
        step_number,
        step_name,
        processing_unit,
        status_code,
        started_at,
        ended_at,
        step_due_at,
        extract(epoch from ended_at - started_at) / 3600.0 as hours_taken,
        case when ended_at is not null and step_due_at is not null then ended_at <= step_due_at end as is_on_time,
        source_updated_at,
        load_id
    from steps
)

select * from steps_timed
