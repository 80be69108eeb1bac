-- Two versions of one identifier must not both be valid on a day, or a fact joined on (identifier, day) would
-- count twice (macro agency_on). Vĩnh Long's reused identifiers end on 30 June 2025 and start again on 1 July.
with agencies as (
    select * from {{ ref('dim_agencies') }}
)

select
    earlier.agency_code,
    earlier.valid_from as earlier_valid_from,
    earlier.valid_to as earlier_valid_to,
    later.valid_from as later_valid_from
from agencies as earlier
inner join agencies as later
    on earlier.agency_code = later.agency_code
    and earlier.valid_from < later.valid_from
where earlier.valid_to is null or earlier.valid_to >= later.valid_from
