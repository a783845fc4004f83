using Hooks.Storage;

namespace Hooks.Tests.Infrastructure;

/// <summary>The result a dispatcher would record for a lease: the one way store tests build attempts.</summary>
public static class LeaseResults
{
    public static WebHookAttemptResult Of(WebHookLease lease, WebHookDeliveryStatus status, DateTimeOffset startedAt,
        DateTimeOffset next = default, WebHookAttemptOutcome outcome = WebHookAttemptOutcome.HttpError,
        int? statusCode = null, string? responseBody = null, TimeSpan duration = default) => new()
    {
        Lease = new WebHookLeaseRef(lease.Delivery.Id, lease.LeaseToken),
        Attempt = new WebHookAttempt
        {
            DeliveryId = lease.Delivery.Id,
            MessageId = lease.Message.Id,
            SubscriptionId = lease.Subscription.Id,
            Number = lease.Delivery.Attempts + 1,
            StartedAt = startedAt,
            Duration = duration,
            Outcome = outcome,
            StatusCode = statusCode,
            ResponseBody = responseBody,
        },
        NewStatus = status,
        NextAttemptAt = next,
    };
}
