-- Two versions of one unit code must not both be valid on a day, or a fact joined on (code, day) with the macro
-- admin_unit_on would count twice. Two periods overlap exactly when the later one's first day lies in the earlier
-- one, so it is enough to join each version's first day through the macro itself: more than one match is an
-- overlap. Codes reused by the reorganisation (00004, 80, …) end on 30 June 2025 and start again on 1 July.
with first_days as (
    select
        unit_code,
        valid_from as day
    from {{ ref('dim_admin_units') }}
),

versions_valid_on_first_days as (
    select
        first_days.unit_code,
        first_days.day,
        count(*) as versions
    from first_days
    inner join {{ ref('dim_admin_units') }} as units
        on {{ admin_unit_on('first_days.unit_code', 'first_days.day', 'units') }}
    group by first_days.unit_code, first_days.day
)

select *
from versions_valid_on_first_days
where versions > 1
