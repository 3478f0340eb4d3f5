#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A price that moves as a driftless geometric random walk: each step multiplies it by a log-normal
/// factor, so it stays positive, and its spread grows with the square root of elapsed time at the
/// symbol's daily volatility.
public struct RandomWalk: Sendable {
    /// The current price.
    public private(set) var price: Double
    /// The standard deviation of the log return over one day, e.g. 0.03 for 3 %.
    public let dailyVolatility: Double

    private static let secondsPerDay = 86_400.0

    public init(price: Double, dailyVolatility: Double) {
        precondition(price > 0, "a random walk starts at a positive price")
        self.price = price
        self.dailyVolatility = dailyVolatility
    }

    /// Advances the price by `seconds` of simulated time and returns it.
    public mutating func step(seconds: Double, using random: inout SeededRandom) -> Double {
        let sigma = dailyVolatility * (Swift.max(seconds, 0) / Self.secondsPerDay).squareRoot()
        let factor = exp(sigma * random.nextNormal() - 0.5 * sigma * sigma)
        price = Swift.max(price * factor, Double.leastNormalMagnitude)
        return price
    }
}
