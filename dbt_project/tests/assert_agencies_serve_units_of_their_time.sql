-- Every agency version serves an administrative unit that existed on the agency's first day (dim_admin_units, the
-- real reference data): a district committee after 30 June 2025, or a commune code from the wrong side of the
-- reorganisation, would show here.
with agencies as (
    select * from {{ ref('dim_agencies') }}
),

units as (
    select * from {{ ref('dim_admin_units') }}
)

select
    agencies.agency_code,
    agencies.valid_from,
    agencies.admin_unit_code
from agencies
left join units on {{ admin_unit_on('agencies.admin_unit_code', 'agencies.valid_from') }}
where agencies.admin_unit_code is not null
    and units.unit_code is null
