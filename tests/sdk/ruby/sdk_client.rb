# An AWS SDK for Ruby client as a user would write it: clients built with no credentials in
# code (the SDK's own chain), then sts get_caller_identity and an S3 put_object.
# Run: ruby sdk_client.rb ENDPOINT_URL BUCKET KEY [ROUNDS PAUSE_SECONDS]. One JSON line per
# round on stdout; an SDK error on stderr with exit 1.
#
# With CREDVEND_TES=1 the credentials come from TesCredentials below instead: aws-sdk-core
# 3.168 (Debian 12) does not read AWS_CONTAINER_CREDENTIALS_FULL_URI, so docs/tes.md gives
# this class as the fallback for such versions.
require 'aws-sdk-core'
require 'aws-sdk-s3'
require 'json'
require 'net/http'
require 'time'

# Credentials from `credvend tes`, refreshed by aws-sdk-core 5 minutes before they expire.
class TesCredentials
  include Aws::CredentialProvider
  include Aws::RefreshingCredentials

  def initialize(uri: ENV.fetch('AWS_CONTAINER_CREDENTIALS_FULL_URI'),
                 token_file: ENV.fetch('AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'))
    @uri = URI(uri)
    @token_file = token_file
    super()
  end

  private

  def refresh
    request = Net::HTTP::Get.new(@uri)
    request['Authorization'] = File.read(@token_file).strip
    response = Net::HTTP.start(@uri.host, @uri.port) { |http| http.request(request) }
    body = JSON.parse(response.body)
    raise "credvend tes answered #{response.code}: #{body['code']}: #{body['message']}" unless response.code == '200'

    @credentials = Aws::Credentials.new(body['AccessKeyId'], body['SecretAccessKey'], body['Token'])
    @expiration = Time.iso8601(body['Expiration'])
  end
end

endpoint, bucket, key = ARGV[0], ARGV[1], ARGV[2]
rounds = (ARGV[3] || 1).to_i
pause = (ARGV[4] || 0).to_f
options = { endpoint: endpoint }
options[:credentials] = TesCredentials.new if ENV['CREDVEND_TES'] == '1'
begin
  sts = Aws::STS::Client.new(options)
  s3 = Aws::S3::Client.new(options.merge(force_path_style: true))
  rounds.times do |i|
    sleep(pause) if i.positive?
    who = sts.get_caller_identity
    put = s3.put_object(bucket: bucket, key: key, body: "round #{i} from aws-sdk-ruby")
    creds = sts.config.credentials
    puts JSON.generate(sdk: 'aws-sdk-ruby', version: Aws::CORE_GEM_VERSION, arn: who.arn,
                       access_key_id: creds.credentials.access_key_id, provider: creds.class.name, etag: put.etag)
    $stdout.flush
  end
rescue Aws::Errors::ServiceError, Aws::Errors::MissingCredentialsError, RuntimeError => e
  warn "#{e.class}: #{e.message}"
  exit 1
end
