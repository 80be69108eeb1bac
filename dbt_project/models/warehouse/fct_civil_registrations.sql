{#- One row per civil status register entry: births, marriages and deaths in one fact (register says which),
    since the three registers share the entry's shape and the KPIs compare them month by month. No personal
    data: staging dropped every field about a person. The Ministry's entry id is replaced here by a keyed
    SHA-256 hash (key in staging.civil_status_pseudonym_key), the key every merge uses: a correction of an
    entry (cải chính) arrives as a newer load of the same id and replaces its row. Each register is read from
    its own last built load on, since its loads are separate. -#}
{{
    config(
        materialized='incremental',
        unique_key='registration_id',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}

{%- set registers = [('birth', 'births'), ('marriage', 'marriages'), ('death', 'deaths')] %}

with pseudonym_keys as (
    select pseudonym_key from {{ ref('civil_status_pseudonym_key') }}
),

{% for register, entity in registers %}
{{ entity }} as (
    select
        '{{ register }}' as register,
        register_entry_id,
        registered_date,
        registration_kind,
        registering_agency_code,
        source_updated_at,
        load_id
    from {{ ref('stg_civil_status__' ~ entity) }}
    {% if is_incremental() %}
    -- Newer load ids are exactly the entries registered, corrected or replayed since the last build.
    where load_id > (select coalesce(max(load_id), 0) from {{ this }} where register = '{{ register }}')
    {% endif %}
),

{% endfor -%}
entries as (
    {% for register, entity in registers %}
    select * from {{ entity }}
    {{ "union all" if not loop.last }}
    {% endfor %}
),

pseudonymised_entries as (
    select
        encode(sha256(convert_to(
            pseudonym_keys.pseudonym_key || '|' || entries.register || '|' || entries.register_entry_id::text,
            'UTF8'
        )), 'hex') as registration_id,
        entries.register,
        entries.registration_kind,
        entries.registration_kind <> 're_registration' as is_first_registration,
        entries.registration_kind = 'late' as is_late,
        entries.registered_date,
        (date_trunc('month', entries.registered_date))::date as registered_month,
        entries.registering_agency_code,
        {{ agency_level1_code('entries.registering_agency_code') }} as registering_agency_level1_code,
        entries.source_updated_at,
        entries.load_id
    from entries
    cross join pseudonym_keys
)

select * from pseudonymised_entries
