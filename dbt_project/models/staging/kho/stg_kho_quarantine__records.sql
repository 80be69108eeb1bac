with source as (
    select * from {{ source('kho_quarantine', 'quarantine') }}
),

renamed as (
    select
        quarantine_id,
        load_id,
        source as source_name,
        entity,
        -- The agency a refused record came from, where its key starts with the agency's identifier (dossier codes,
        -- status steps, document ids; QCVN 102:2016 or the longer Decision 20/2020 form). The payload is not read:
        -- it may hold personal data, and it may not even be valid JSON.
        substring(
            upper(record_key)
            from '^([0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2}|[A-Z][0-9]{2}(\.[0-9A-Z]+){1,10})[-,]'
        ) as agency_code,
        reason,
        reason like '%required field is missing%' as is_missing_required_field,
        quarantined_at,
        (date_trunc('month', quarantined_at at time zone 'Asia/Ho_Chi_Minh'))::date as quarantined_month,
        replayed_load_id is not null as is_replayed
    from source
)

select * from renamed
