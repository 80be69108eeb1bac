-- One row per administrative-unit version (province, district until 30 June 2025, commune) with the unit in
-- force today that covers it: facts join on (code, own date) with macro admin_unit_on and report either by the
-- version's unit (the units of their date) or by current_unit_code (today's units).
with unit_versions as (
    select * from {{ ref('admin_units') }}
),

primary_successors as (
    select * from {{ ref('int_admin_unit_successors') }}
    where is_primary
),

current_units as (
    select
        unit_code,
        unit_name,
        province_code
    from unit_versions
    where valid_to is null
),

versions_with_current_unit as (
    select
        md5(unit_versions.unit_code || '|' || unit_versions.valid_from::text) as admin_unit_version_id,
        unit_versions.unit_code,
        unit_versions.unit_name,
        unit_versions.unit_type,
        unit_versions.level,
        nullif(unit_versions.parent_unit_code, '') as parent_unit_code,
        unit_versions.province_code,
        unit_versions.valid_from,
        unit_versions.valid_to,
        unit_versions.valid_from_is_assumed,
        unit_versions.valid_to is null as is_current,
        primary_successors.current_admin_unit_version_id,
        primary_successors.current_unit_code,
        current_units.unit_name as current_unit_name,
        current_units.province_code as current_province_code,
        coalesce(primary_successors.is_split, false) as is_split,
        primary_successors.rule as successor_rule
    from unit_versions
    left join primary_successors
        on md5(unit_versions.unit_code || '|' || unit_versions.valid_from::text)
        = primary_successors.admin_unit_version_id
    left join current_units on primary_successors.current_unit_code = current_units.unit_code
)

select * from versions_with_current_unit
