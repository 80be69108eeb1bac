-- Days whose status comes from the lunar calendar or a swap: if the generator or the package drifts, this fails.
with expected as (
    select * from (values
        ('2025-01-29'::date, false),  -- Tết Nguyên Đán (lunar)
        ('2024-04-18'::date, false),  -- Giỗ Tổ Hùng Vương (lunar, 10/3)
        ('2025-04-26'::date, true),   -- a Saturday worked in exchange for 2 May 2025
        ('2025-05-02'::date, false),  -- the day off it bought
        ('2025-09-02'::date, false),  -- Quốc khánh
        ('2025-09-03'::date, true)
    ) as days (date_day, is_working_day)
)

select expected.date_day
from expected
inner join {{ ref('dim_date') }} as dim_date on expected.date_day = dim_date.date_day
where dim_date.is_working_day <> expected.is_working_day
