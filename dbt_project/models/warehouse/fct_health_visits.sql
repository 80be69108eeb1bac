{#- One row per facility, day, sex and age group. The health system delivers, and corrects, a whole day at a
    time (one file per day; a corrected file replaces its day's rows in raw and deletes the rows it no longer
    holds). So each incremental build takes every day that a load newer than the table's last one touched, and
    replaces that day whole (delete+insert on visit_date): new days, late backfills, corrected figures and
    rows a correction removed all come out as a full rebuild would make them. The business key visit_key stays
    unique (tested). The facility's commune is joined to the administrative unit valid on the visit's date
    (macro admin_unit_on): admin_unit_version_id reports the visits by the units of their day or by today's.
    -#}
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

units as (
    select * from {{ ref('dim_admin_units') }}
),

visits_described as (
    select
        visits.visit_key,
        visits.visit_date,
        (date_trunc('month', visits.visit_date))::date as visit_month,
        visits.facility_code,
        visits.facility_name,
        -- A file without the tier column still counts its visits, under 'unknown'.
        coalesce(visits.facility_level, 'unknown') as facility_level,
        -- As sent, in the units of the visit's date; the unit version of that date resolves it.
        visits.commune_code,
        units.admin_unit_version_id,
        left(visits.facility_code, 2) as province_code,
        visits.sex,
        visits.age_group,
        visits.visits,
        visits.insured_visits,
        visits.inpatient_admissions,
        visits.referrals,
        visits.file_sha256,
        visits.load_id
    from visits
    left join units on {{ admin_unit_on('visits.commune_code', 'visits.visit_date') }}
)

select * from visits_described
