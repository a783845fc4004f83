using System.Net;

namespace Hooks.ReverseHttp;

/// <summary>The Kestrel endpoint whose connections are dialled out to a producer instead of accepted on a socket.</summary>
internal sealed class ReverseHttpEndPoint : EndPoint
{
    public override string ToString() => "reverse-http";
}
