with procedures as (
    select * from {{ ref('stg_dossier__procedures') }}
),

procedures_described as (
    select
        procedure_code,
        procedure_name,
        field_name,
        level,
        time_limit_working_days,
        fee_vnd,
        service_level as current_service_level,
        source_updated_at
    from procedures
)

select * from procedures_described
