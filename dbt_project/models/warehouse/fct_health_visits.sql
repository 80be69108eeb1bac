{#- One row per facility, day, sex and age group. The health system delivers, and corrects, a whole day at a
    time (one file per day; a corrected file replaces its day's rows in raw and deletes the rows it no longer
    holds). So each incremental build takes every day that a load newer than the table's last one touched, and
    replaces that day whole (delete+insert on visit_date): new days, late backfills, corrected figures and
    rows a correction removed all come out as a full rebuild would make them. The business key visit_key stays
    unique (tested). -#}
{{
    config(
        materialized='incremental',
        unique_key='visit_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        indexes=[
            {'columns': ['visit_key'], 'unique': True},
            {'columns': ['visit_date']},
        ]
    )
}}

with visits as (
    select * from {{ ref('stg_health__visits') }}
    {% if is_incremental() %}
    -- Every raw row a load inserted or rewrote carries that load's id: the days holding newer ids are exactly
    -- the days delivered, re-delivered or corrected since the last build.
    where visit_date in (
        select distinct visit_date
        from {{ ref('stg_health__visits') }}
        where load_id > (select coalesce(max(load_id), 0) from {{ this }})
    )
    {% endif %}
),

visits_described as (
    select
        visit_key,
        visit_date,
        (date_trunc('month', visit_date))::date as visit_month,
        facility_code,
        facility_name,
        -- A file without the tier column still counts its visits, under 'unknown'.
        coalesce(facility_level, 'unknown') as facility_level,
        -- As sent, in the units of the visit's date; dim_admin_units resolves it when needed.
        commune_code,
        left(facility_code, 2) as province_code,
        sex,
        age_group,
        visits,
        insured_visits,
        inpatient_admissions,
        referrals,
        file_sha256,
        load_id
    from visits
)

select * from visits_described
