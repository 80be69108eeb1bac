-- One row per agency version: an agency in its own period of validity. The period comes from the source as it
-- stands (an end date is recorded when an agency is dissolved, which the snapshot does not watch); the name,
-- level, parent and administrative unit are the snapshot's current version of that record.
with agency_records as (
    select * from {{ ref('stg_document__agencies') }}
),

recorded_versions as (
    select * from {{ ref('document_agencies') }}
),

current_versions as (
    select *
    from recorded_versions
    where dbt_valid_to is null
),

versions_recorded_per_agency as (
    select
        agency_record_code,
        count(*) as attribute_versions
    from recorded_versions
    group by agency_record_code
),

agency_versions as (
    select
        -- Derived from the identifier and the first day, not a sequence: a rebuild gives every version the same
        -- id, so incremental facts keep pointing at the right row.
        md5(agency_records.agency_code || '|' || agency_records.valid_from::text) as agency_version_id,
        agency_records.agency_code,
        agency_records.agency_record_code,
        current_versions.agency_name,
        current_versions.level,
        current_versions.parent_agency_code,
        current_versions.admin_unit_code,
        agency_records.valid_from,
        agency_records.valid_to,
        agency_records.valid_to is null as is_current,
        current_versions.dbt_valid_from as attributes_recorded_at,
        versions_recorded_per_agency.attribute_versions,
        agency_records.source_updated_at
    from agency_records
    inner join current_versions on agency_records.agency_record_code = current_versions.agency_record_code
    inner join versions_recorded_per_agency
        on agency_records.agency_record_code = versions_recorded_per_agency.agency_record_code
)

select * from agency_versions
