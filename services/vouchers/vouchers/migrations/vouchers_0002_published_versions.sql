-- depends: vouchers_0001_webhook_deliveries runtime_0005_published_version
-- The runtime numbered every stored event as published (runtime_0005). The vouchers'
-- private events were never published: take their numbers away and number the published
-- events of each stream again among themselves, as the event store now does on append.
UPDATE events SET published_version = NULL
WHERE event_type IN (
    'downtown.vouchers.PurchaseSecretsSealed',
    'downtown.vouchers.PurchaseCodesDelivered',
    'downtown.vouchers.VoucherCodeAssigned',
    'downtown.vouchers.CampaignBuyerRecorded'
);
UPDATE events e SET published_version = numbered.n
FROM (
    SELECT position, row_number() OVER (PARTITION BY stream_id ORDER BY version) AS n
    FROM events WHERE published_version IS NOT NULL
) numbered
WHERE e.position = numbered.position AND e.published_version IS DISTINCT FROM numbered.n;
