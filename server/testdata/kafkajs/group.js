// Consumer-group check for Strata (server's TestGroupKafkaJS): a kafkajs
// consumer with eachMessage reads `want` messages of a topic in a group
// and commits; it prints the values, one per line, in arrival order.
// Usage: node group.js <broker> <topic> <group> <want>
const { Kafka, logLevel } = require('kafkajs')

const [broker, topic, groupId, wantArg] = process.argv.slice(2)
const want = Number(wantArg)

async function main () {
  const kafka = new Kafka({ clientId: 'kafkajs-test', brokers: [broker], logLevel: logLevel.ERROR })
  const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 100, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const got = []
  await new Promise((resolve, reject) => {
    consumer.run({
      autoCommitThreshold: 1,
      eachMessage: async ({ message }) => {
        got.push(message.value.toString())
        if (got.length === want) resolve()
      }
    }).catch(reject)
  })
  await consumer.disconnect() // commits the resolved offsets, then leaves
  console.log(got.join('\n'))
}

main().catch(err => { console.error(err); process.exit(1) })
