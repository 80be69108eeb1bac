-- Two versions of one unit code must not both be valid on a day, or a fact joined on (code, day) would count twice
-- (macro admin_unit_on). Codes reused by the reorganisation (00004, 80, …) end on 30 June 2025 and start again on
-- 1 July.
with units as (
    select * from {{ ref('dim_admin_units') }}
)

select
    earlier.unit_code,
    earlier.valid_from as earlier_valid_from,
    earlier.valid_to as earlier_valid_to,
    later.valid_from as later_valid_from
from units as earlier
inner join units as later
    on earlier.unit_code = later.unit_code
    and earlier.valid_from < later.valid_from
where earlier.valid_to is null or earlier.valid_to >= later.valid_from
