/** What one RTP leg has seen and done; the composition root sums these into its metrics. */
export interface RtpCounters {
  /** Valid RTP packets accepted from the latched source (audio and telephone-event). */
  packetsIn: number;
  packetsOut: number;
  /** Inbound packets concealed because they never arrived in time. */
  lost: number;
  /** Inbound packets that arrived after their slot was concealed. */
  late: number;
  duplicates: number;
  /** UDP datagrams that are not RTP (wrong version, truncated, bad padding, …). */
  garbage: number;
  /** Valid RTP from a second source while the latched one is active. */
  foreignSource: number;
  /** Valid RTP with a payload type we did not negotiate (comfort noise, a codec switch, …). */
  unknownPayloadType: number;
  /** RTCP arriving on the RTP port (rtcp-mux); read past, never answered. */
  rtcpIn: number;
  /** Times the send target moved to a new source (the first latch included). */
  sourceLatches: number;
  /** Outbound frames dropped because the send queue was full. */
  framesDropped: number;
  /** Silence frames fed to the call while the far end sent nothing (see JitterBuffer). */
  silenceFillFrames: number;
  dtmfDigits: number;
  /** Sends the OS refused (unreachable network, buffer full). */
  sendErrors: number;
}

export function emptyRtpCounters(): RtpCounters {
  return {
    packetsIn: 0,
    packetsOut: 0,
    lost: 0,
    late: 0,
    duplicates: 0,
    garbage: 0,
    foreignSource: 0,
    unknownPayloadType: 0,
    rtcpIn: 0,
    sourceLatches: 0,
    framesDropped: 0,
    silenceFillFrames: 0,
    dtmfDigits: 0,
    sendErrors: 0,
  };
}
