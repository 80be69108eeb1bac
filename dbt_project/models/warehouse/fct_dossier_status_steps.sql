{{
    config(
        materialized='incremental',
        unique_key='step_id',
        incremental_strategy='merge',
        on_schema_change='fail',
        indexes=[{'columns': ['step_id'], 'unique': True}, {'columns': ['load_id']}],
        post_hook=["{{ analyze_if_rebuilt() }}", "{{ record_built_loads() }}"]
    )
}}

with steps as (
    select * from {{ ref('stg_dossier__status_steps') }}
    {% if is_incremental() %}
    where load_id > {{ newest_load_id(this) }}
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
