import Dispatch
import Foundation

/// Blocks until SIGTERM or SIGINT (the STS stub runs until `load-tests/run` stops it).
func waitForStopSignal() {
    let stop = DispatchSemaphore(value: 0)
    let sources = [SIGTERM, SIGINT].map { number -> any DispatchSourceSignal in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number)
        source.setEventHandler { stop.signal() }
        source.resume()
        return source
    }
    stop.wait()
    for source in sources { source.cancel() }
}
