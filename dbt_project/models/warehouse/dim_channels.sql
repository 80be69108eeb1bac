-- KenhThucHien in the portal's sync payload: 1 direct, 2 online, 3 the public postal service.
with channels as (
    select *
    from (
        values
        (1, 'direct', 'Trực tiếp', 'In person at a one-stop desk'),
        (2, 'online', 'Trực tuyến', 'Online, on the public-service portal'),
        (3, 'postal', 'Qua dịch vụ bưu chính công ích', 'By the public postal service')
    ) as listed (channel_code, channel, name_vi, name_en)
)

select * from channels
