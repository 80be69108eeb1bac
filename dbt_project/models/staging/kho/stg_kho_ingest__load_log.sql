with source as (
    select * from {{ source('kho_ingest', 'load_log') }}
),

renamed as (
    select
        load_id,
        source as source_name,
        entity,
        status,
        started_at,
        finished_at,
        (date_trunc('month', finished_at at time zone 'Asia/Ho_Chi_Minh'))::date as load_month,
        received,
        loaded,
        quarantined,
        duplicates,
        coalesce(drift is not null and drift <> '{}'::jsonb and drift <> 'null'::jsonb, false) as has_drift
    from source
)

select * from renamed
