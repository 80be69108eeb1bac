with source as (
    select * from {{ source('kho_ingest', 'sources') }}
),

renamed as (
    select
        source as source_name,
        title as source_title,
        schedule,
        interval_hours
    from source
)

select * from renamed
