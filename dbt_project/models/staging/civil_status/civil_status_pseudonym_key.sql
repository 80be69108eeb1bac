{#- The secret of the keyed hash that stands for a civil status entry in the warehouse
    (fct_civil_registrations): drawn once from PostgreSQL's random generator (two version-4 UUIDs, 244 random
    bits) and then kept, never redrawn: full_refresh is off, so a --full-refresh build hashes every entry
    exactly as before. It lives in the staging schema, beside the views over raw that hold the register ids
    themselves and closed to every reader role as raw is (kho.access): whoever can read it could read raw
    anyway, and whoever reads only the warehouse or the marts cannot link a row to the Ministry's register.
    Dropping this table changes every hash: rebuild fct_civil_registrations with --full-refresh after it. -#}
{{
    config(
        materialized='incremental',
        full_refresh=false,
        on_schema_change='fail'
    )
}}

with drawn_key as (
    select replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '') as pseudonym_key
)

select pseudonym_key from drawn_key
{% if is_incremental() %}
    where not exists (select 1 from {{ this }})
{% endif %}
