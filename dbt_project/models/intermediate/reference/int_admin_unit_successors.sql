-- One row per administrative-unit version and unit in force today that covers (part of) it: a current unit covers
-- itself; an ended unit is covered by the new units the crosswalk names, all candidates of a split kept, one of
-- them primary (the split rule, docs/admin_units.md). An ended unit in neither mapping has no row.
with unit_versions as (
    select
        -- Code and first day, not a sequence: a rebuild gives every version the same id.
        md5(unit_code || '|' || valid_from::text) as admin_unit_version_id,
        unit_code,
        valid_from,
        valid_to
    from {{ ref('admin_units') }}
),

crosswalk as (
    select
        *,
        count(*) over (partition by old_unit_code) as candidates
    from {{ ref('admin_unit_crosswalk') }}
),

current_units as (
    select * from unit_versions where valid_to is null
),

ended_units as (
    select * from unit_versions where valid_to is not null
),

successors_of_ended_units as (
    select
        ended_units.admin_unit_version_id,
        ended_units.unit_code,
        ended_units.valid_from,
        current_units.admin_unit_version_id as current_admin_unit_version_id,
        current_units.unit_code as current_unit_code,
        crosswalk.is_primary,
        crosswalk.is_split,
        crosswalk.is_partial,
        crosswalk.candidates,
        crosswalk.rule,
        crosswalk.source
    from ended_units
    inner join crosswalk on ended_units.unit_code = crosswalk.old_unit_code
    inner join current_units on crosswalk.new_unit_code = current_units.unit_code
),

current_units_cover_themselves as (
    select
        admin_unit_version_id,
        unit_code,
        valid_from,
        admin_unit_version_id as current_admin_unit_version_id,
        unit_code as current_unit_code,
        true as is_primary,
        false as is_split,
        false as is_partial,
        1 as candidates,
        'current' as rule,
        'identity' as source
    from current_units
)

select * from successors_of_ended_units
union all
select * from current_units_cover_themselves
