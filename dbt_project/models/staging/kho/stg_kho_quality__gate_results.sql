with source as (
    select * from {{ source('kho_quality', 'gate_results') }}
),

renamed as (
    select
        run_id,
        gate,
        suite,
        -- Raw suites are named raw_<source>__<entity> (kho/quality_suites.py): the source system they judge.
        case when suite like 'raw\_%' then split_part(substring(suite from 5), '__', 1) end as source_name,
        expectation as expectation_type,
        column_name,
        severity,
        success as is_success,
        unexpected_count,
        checked_at,
        (date_trunc('month', checked_at at time zone 'Asia/Ho_Chi_Minh'))::date as checked_month
    from source
)

select * from renamed
