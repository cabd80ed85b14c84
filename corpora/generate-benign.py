import json, random, urllib.parse
random.seed(20261128)
out=[]
UA=['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
    'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
    'curl/8.5.0','python-requests/2.32.3','PostmanRuntime/7.42.0','okhttp/4.12.0','axios/1.7.9','Go-http-client/2.0',
    'WeatherApp/3.4.1 (iPhone; iOS 18.1; Scale/3.00)','Dart/3.5 (dart:io)','node-fetch/1.0 (+https://github.com/bitinn/node-fetch)']
NAMES=["Seán O'Brien","Dana D'Angelo","Zoë Müller","Renée Lefèvre","Åsa Ødegård","José Ñúñez","Tomás O'Neill","Mary-Kate O'Hara","François L'Écuyer","Jürgen Groß",
       "李小龙","王芳","山田 太郎","佐藤 花子","김민준","Олег Петров","Ελένη Παπαδοπούλου","محمد عبد الله","דוד כהן","Nguyễn Văn An","Priya Raghunathan","Siobhán Ní Bhriain",
       "Ahmed Al-Farsi","Chloé D'Souza","Bob Smith Jr.","Anne-Marie van der Berg"]
PROSE=["Please select your plan before the end of the month.","Drop me a line if the station goes offline again.",
 "We'd like to update the station name and delete the old sensor from the list.","Can you union the two reports into one PDF?",
 "I'll be out of office; drop by the lab or call me.","The rain gauge was insert-ed upside down, we fixed it on site.",
 "Select all that apply: wind, rain, temperature.","From now on, where possible, order by date.",
 "Temperatures dropped below -5 °C overnight & the sensor froze.","It's 100% accurate — or at least it was until the storm.",
 "Rock 'n' roll festival this weekend; expect heavy traffic near the station.","Use the drop-down menu to select a region, then press Update.",
 "Wind gusts > 90 km/h were recorded at 03:00 UTC.","Humidity < 20% for three days; fire risk is high.","Q&A session on Thursday at 2pm — bring questions!",
 "Re: your ticket #4521 — the fix is live. Thanks for your patience!","He said \"it's fine\" but the anemometer keeps spinning.",
 "Price: $49.99/month (billed annually) or $59/month.","See https://example.org/docs/stations?lang=en#setup for the setup guide.",
 "Our office is at 221B Baker Street, London NW1 6XE.","Tom & Jerry's Café needs a new barometer; please contact sales.",
 "Meeting notes: 1) calibrate sensors 2) update firmware 3) order spare parts.","The station at Lake O'Hara is back online; data from 2024-03-01 to 2024-03-04 is missing.",
 "Is the API rate limit per key or per account? We're hitting 429s at around 600 requests/minute.","Can I get a refund? I was charged twice (order 88213).",
 "This is a 5-star product; would buy again :)","Ça marche très bien, merci beaucoup !","Die Station in München meldet seit gestern keine Daten mehr.",
 "東京の観測所のデータが欠けています。","서울 관측소 데이터가 업데이트되지 않습니다.","Станция в Новосибирске снова работает.","Η θερμοκρασία έπεσε κάτω από το μηδέν.",
 "الرجاء تحديث بيانات المحطة","Trạm quan trắc Hà Nội đã hoạt động trở lại.","I/O errors on the SD card; replaced it with a 32 GB one.",
 "Temperature (°C) vs. pressure (hPa) — see attached chart.","Either/or works for us; we just need it before Friday.","And/or: pick whichever plan fits your budget.",
 "50% off for the first 3 months with code SPRING50!","The cat sat on the weather vane again, so wind direction was wrong all morning.",
 "Please don't echo my password back in the confirmation e-mail.","We moved from Python 3.9 to 3.12 last week; no issues so far.",
 "Tip: run the calibration twice if the first reading looks off.","You can find older readings under Settings > Data > Export.",
 "Sleep mode starts at 22:00 local time to save battery.","If the value is null, the sensor was offline.","Happy new year 🎉 and thanks for the great service!",
 "My son's school wants to host a station — who should I talk to?","Observations every 10 min; average over 1 h; max 24 h history on the free tier."]
MARKDOWN=["## Installation\n\n1. Mount the station on a pole at least **2 m** high.\n2. Connect the solar panel.\n3. Open the app and *select* your station.\n\n> Note: keep it away from walls.",
 "### Changelog\n\n- Fixed: rain gauge overflow\n- Added: `--verbose` flag to the CLI\n- Changed: default interval is now 10 min\n\nSee [the docs](https://docs.example.com/changelog) for details.",
 "**Bold claim**: this is the _best_ station we've tested.\n\n| Sensor | Range |\n|---|---|\n| Temp | -40..60 °C |\n| Wind | 0..60 m/s |",
 "Use `GET /v1/stations?limit=20` to page through results; the `cursor` field points to the next page.",
 "```json\n{\n  \"name\": \"Harbour\",\n  \"lat\": 53.55,\n  \"lon\": 9.99\n}\n```",
 "Steps to reproduce:\n\n1. Open the dashboard\n2. Click *Export*\n3. Choose CSV\n\nExpected: a file. Actual: spinner forever.",
 "* [x] calibrate\n* [ ] replace battery\n* [ ] update firmware to v2.4.1"]
CODE=["const total = readings.reduce((sum, r) => sum + r.value, 0) / readings.length;",
 "def average(values):\n    return sum(values) / len(values) if values else None",
 "fetch('/v1/stations', { headers: { 'X-API-Key': key } }).then(r => r.json())",
 "for station in stations:\n    print(station['name'], station['lat'])",
 "if (temp > 30) { alertLevel = 'high'; } else { alertLevel = 'normal'; }",
 "SUM(A2:A10) / COUNT(A2:A10)",
 "let url = new URL('/v1/weather', base); url.searchParams.set('station', id);",
 "public double average(List<Double> xs) { return xs.stream().mapToDouble(x -> x).average().orElse(0); }",
 "git clone https://github.com/example/weather-tools.git && cd weather-tools",
 "npm install weather-sdk --save",
 "station.name.strip().lower()",
 "items.map(i => i.id).filter(Boolean)",
 "SELECT your favourite station from the list and click Save.",
 "x = [1, 2, 3]\ny = [v * 2 for v in x]",
 "The formula is T = (F - 32) * 5/9.",
 "Run make build, then make test."]
EMAILS=["seán.obrien@example.ie","dana.dangelo+weather@example.com","info@wetter-muenchen.example.de","ops-team@stations.example.org","li.xiaolong@example.cn","o'hara@example.com"]
URLS=["https://example.com/images/station-42.jpg","https://cdn.example.net/a/b/c.png?w=640&h=480","https://www.example.org/blog/2024/11/winter-storms","https://maps.example.com/?q=53.55,9.99&z=12","https://hooks.example.com/services/T000/B000/XXXX","https://api.partner.example/v2/callback?token=abc123"]
CITIES=["Hamburg","München","Zürich","São Paulo","Kraków","Reykjavík","Québec","東京","서울","Москва","Αθήνα","القاهرة","New York","Lake O'Hara","St. John's","Dún Laoghaire"]
TAGS=["coastal","urban","alpine","rural","school","research","rooftop","airport","harbour","forest"]
def hdrs(ct=None, extra=None):
    h={'Host':'api.example.com','User-Agent':random.choice(UA),'Accept':random.choice(['application/json','application/json, text/plain, */*','*/*','application/xml;q=0.9, application/json']),
       'Accept-Language':random.choice(['en-US,en;q=0.9','de-DE,de;q=0.9,en;q=0.8','fr-FR,fr;q=0.9','ja,en;q=0.8','en-GB,en;q=0.7']),
       'Accept-Encoding':'gzip, deflate, br','X-API-Key':'pk_live_'+''.join(random.choice('abcdef0123456789') for _ in range(32))}
    if random.random()<0.3: h['Referer']=random.choice(['https://dashboard.example.com/stations','https://app.example.com/settings?tab=keys','https://www.google.com/'])
    if random.random()<0.3: h['X-Request-Id']=''.join(random.choice('abcdef0123456789') for _ in range(16))
    if random.random()<0.2: h['Cookie']=random.choice(['session=eyJ1aWQiOjQyfQ.abc; theme=dark; lang=en','_ga=GA1.2.1234567.1700000000; consent=analytics%2Cmarketing','locale=de-DE; tz=Europe%2FBerlin'])
    if random.random()<0.2: h['If-None-Match']='W/"5e-1a2b3c"'
    if random.random()<0.15: h['Origin']='https://app.example.com'
    if ct: h['Content-Type']=ct
    if extra: h.update(extra)
    return h
def add(method, uri, body='', ct=None, extra=None):
    out.append({'id':f'benign-{len(out)+1:03d}','type':'benign','expect':'benign','method':method,'uri':uri,'headers':hdrs(ct,extra),'body':body})
def q(d): return urllib.parse.urlencode(d, quote_via=urllib.parse.quote)
for i in range(60):
    kind=random.randrange(8)
    if kind==0: add('GET','/v1/stations?'+q({'limit':random.choice([10,20,50]),'cursor':'eyJpZCI6'+str(random.randint(100,999))+'fQ'}))
    elif kind==1: add('GET',f'/v1/stations/st-{random.randint(1,999):04d}')
    elif kind==2: add('GET','/v1/weather?'+q({'station':f'st-{random.randint(1,999):04d}','units':random.choice(['metric','imperial'])}))
    elif kind==3: add('GET','/v1/search?'+q({'q':random.choice(PROSE+CITIES+["O'Brien","select plan","drop me a line","union square","order by date","1=1 is not a tautology here","rock & roll","C++ or C#?","50% off","where is the station?"]),'page':random.randint(1,5)}))
    elif kind==4: add('GET',f'/v1/stations/st-{random.randint(1,999):04d}/observations?'+q({'from':'2024-11-01T00:00:00Z','to':'2024-11-02T00:00:00Z','fields':'temp,humidity,wind_speed'}))
    elif kind==5: add('GET','/v1/users?'+q({'name':random.choice(NAMES),'sort':random.choice(['-created_at','name','email'])}))
    elif kind==6: add('GET','/v1/cities/'+urllib.parse.quote(random.choice(CITIES))+'/forecast?days=3')
    else: add('DELETE',f'/v1/stations/st-{random.randint(1,999):04d}')
for i in range(110):
    kind=random.randrange(9)
    if kind==0:
        b={'name':random.choice(CITIES)+' '+random.choice(['Harbour','Airport','Hill','Rooftop','School']),'lat':round(random.uniform(-60,70),4),'lon':round(random.uniform(-170,170),4),'elevation_m':random.randint(0,3000),'tags':random.sample(TAGS,3),'description':random.choice(PROSE+MARKDOWN)}
        add('POST','/v1/stations',json.dumps(b,ensure_ascii=False),'application/json')
    elif kind==1:
        b={'author':{'name':random.choice(NAMES),'email':random.choice(EMAILS)},'comment':random.choice(PROSE),'rating':random.randint(1,5)}
        add('POST',f'/v1/stations/st-{random.randint(1,999):04d}/comments',json.dumps(b,ensure_ascii=False),'application/json')
    elif kind==2:
        b={'title':random.choice(['Bug: export hangs','Feature request: webhooks','Question about quotas','Docs typo','Calibration drift']),'description':random.choice(CODE+MARKDOWN),'labels':random.sample(['bug','docs','question','api','ui'],2)}
        add('POST','/v1/tickets',json.dumps(b,ensure_ascii=False),'application/json')
    elif kind==3:
        b={'observations':[{'ts':f'2024-11-0{d}T{h:02d}:00:00Z','temp_c':round(random.uniform(-10,30),1),'humidity':random.randint(10,100),'note':random.choice(['','ok','sensor reset',"O'Brien checked it",'wind > 20 m/s'])} for d in range(1,3) for h in range(0,24,8)]}
        add('POST',f'/v1/stations/st-{random.randint(1,999):04d}/observations',json.dumps(b,ensure_ascii=False),'application/json')
    elif kind==4:
        b={'name':random.choice(NAMES),'email':random.choice(EMAILS),'bio':random.choice(PROSE),'website':random.choice(URLS),'preferences':{'units':'metric','language':random.choice(['en','de','ja','ar']),'newsletter':random.random()<0.5}}
        add('PATCH',f'/v1/users/{random.randint(1,9999)}',json.dumps(b,ensure_ascii=False),'application/merge-patch+json')
    elif kind==5:
        b={'from_account':'DE89370400440532013000','to_account':'GB29NWBK60161331926819','amount':{'value':f'{random.uniform(1,5000):.2f}','currency':random.choice(['EUR','GBP','USD'])},'reference':random.choice(['Invoice 2024-118','Rent Nov','Dinner at Tom & Jerry\'s','Refund for order #88213','Gift 🎁 for Zoë'])}
        add('POST','/v1/transfers',json.dumps(b,ensure_ascii=False),'application/json')
    elif kind==6:
        b={'url':random.choice(URLS),'events':['station.offline','observation.created'],'secret_hint':'rotate monthly','description':'Notify our Slack channel'}
        add('POST','/v1/webhooks',json.dumps(b),'application/json')
    elif kind==7:
        b={'query':{'text':random.choice(PROSE),'filters':{'country':random.choice(['DE','FR','JP','KR','BR']),'min_elevation':100}},'sort':[{'field':'name','order':'asc'}],'page':{'size':20}}
        add('POST','/v1/stations/search',json.dumps(b,ensure_ascii=False),'application/json')
    else:
        b={'name':random.choice(CITIES),'lat':round(random.uniform(-60,70),4),'lon':round(random.uniform(-170,170),4),'status':random.choice(['active','maintenance','retired']),'notes':random.choice(MARKDOWN+CODE)}
        add('PUT',f'/v1/stations/st-{random.randint(1,999):04d}',json.dumps(b,ensure_ascii=False),'application/json')
for i in range(50):
    kind=random.randrange(3)
    if kind==0: add('POST','/v1/contact',q({'name':random.choice(NAMES),'email':random.choice(EMAILS),'message':random.choice(PROSE),'subscribe':'on'}),'application/x-www-form-urlencoded')
    elif kind==1: add('POST','/oauth/token',q({'grant_type':'client_credentials','scope':'stations:read observations:write'}),'application/x-www-form-urlencoded',{'Authorization':'Basic Y2xpZW50OnNlY3JldA=='})
    else: add('POST','/v1/feedback',q({'rating':random.randint(1,5),'comment':random.choice(PROSE),'page':'/stations/'+str(random.randint(1,99))}),'application/x-www-form-urlencoded')
for i in range(40):
    st=random.choice(CITIES)
    body=f'<?xml version="1.0" encoding="UTF-8"?>\n<station id="st-{random.randint(1,999):04d}"><name>{st.replace("&","&amp;")}</name><location lat="{random.uniform(-60,70):.3f}" lon="{random.uniform(-170,170):.3f}"/><description>{random.choice(PROSE).replace("&","&amp;").replace("<","&lt;").replace(">","&gt;")}</description><tags><tag>{random.choice(TAGS)}</tag><tag>{random.choice(TAGS)}</tag></tags></station>'
    add(random.choice(['POST','PUT']),'/v1/stations' if random.random()<0.5 else f'/v1/stations/st-{random.randint(1,999):04d}',body,'application/xml')
for i in range(40):
    bnd='----WebKitFormBoundary'+''.join(random.choice('ABCDEFGHIJKLMNOPabcdef0123') for _ in range(16))
    fn=random.choice(['station-photo.jpg','IMG_2024_11_01.png','report Q3 (final).pdf','données météo.csv',"O'Brien's notes.txt",'readings-2024-11.csv','風景.jpg'])
    ctype={'jpg':'image/jpeg','png':'image/png','pdf':'application/pdf','csv':'text/csv','txt':'text/plain'}[fn.rsplit('.',1)[1]]
    content='ts,temp_c,humidity\n2024-11-01T00:00Z,4.2,81\n2024-11-01T01:00Z,3.9,83\n' if ctype=='text/csv' else ('Checked the mast; bolts tightened. Drop me a line if readings look odd.\n' if ctype=='text/plain' else 'BINARYDATA')
    body=(f'--{bnd}\r\nContent-Disposition: form-data; name="caption"\r\n\r\n{random.choice(PROSE)}\r\n'
          f'--{bnd}\r\nContent-Disposition: form-data; name="file"; filename="{fn}"\r\nContent-Type: {ctype}\r\n\r\n{content}\r\n--{bnd}--\r\n')
    add('POST',f'/v1/stations/st-{random.randint(1,999):04d}/photos',body,f'multipart/form-data; boundary={bnd}')
# --- Second batch: other API domains (shop, calendar, chat, CRM, dev tools), appended so the
# first 300 requests above stay byte-identical.
PRODUCTS=['USB-C cable (2 m)','Wireless mouse M185','4K monitor 27"','Kids\' rain boots, size 30','Espresso beans 1 kg — dark roast','Yoga mat 6mm','Smart plug (2-pack)','Noise-cancelling headphones','Cast-iron pan 28 cm','Trail running shoes "Speedgoat 5"','Union Jack flag 90x150','Time Timer 8" visual timer','Select Comfort pillow','Drop-leaf table','Sleep mask (silk)','Table tennis set','Echo Dot (5th gen)','Cat tree 150 cm','Exec chair, leather look']
SEARCHES=['red shoes size 42','union jack','select comfort','drop table','time timer','sleep aid','table lamp & shade','kids 3-5 years','o\'neill wetsuit','café crème','1/2 inch drill bit','usb c to usb-c','c++ primer','c# in depth','node.js design patterns','rock \'n\' roll','50% off','from 10 to 20','where to buy','and/or','cat food','echo show','exec desk','script writing book','alert bracelet','ls 460 mirror','top gun dvd','less is more poster','head & shoulders','kill bill vol 2','find my tracker','touch lamp','sort bins','tail light bmw','ping pong table','who is who','env friendly bags']
CHAT=['Running 5 min late, start without me','Can you select the venue for Friday?','LOL that cat 😂','ok 👍','Meeting moved to 3pm (UTC+1)','Did you see the union vote results?','Drop the files in the shared drive pls','I\'ll update the table and delete the old rows','Time for coffee? ☕','brb','Who\'s on call tonight?','Order #A-1042 shipped via DHL','Let\'s sync at 10:30 — agenda: 1) budget 2) hiring','The deploy finished; all checks green ✅','Can someone echo this to the #general channel?','I\'ll sleep on it and decide tomorrow','Is it 1 or 2 rooms?','Price went from $20 to $25?!','Use the link: https://meet.example.com/abc-defg-hij','"Quote of the day": stay curious','Path is Settings > Account > Privacy','Ping me when you\'re free','Happy birthday!! 🎂🎉','Merci ! À demain.','¿Nos vemos mañana a las 9?','Danke, passt!','了解しました','好的，明天见','Hmm, not sure that\'s right: 2+2=4, not 5']
CITIES2=['São Paulo','Kraków','Reykjavík','Zürich','Montréal','Dún Laoghaire','Ho Chi Minh City','Baile Átha Cliath','Llanfairpwllgwyngyll','St. John\'s']
STREETS=['12 Rue de l\'Église','221B Baker Street','1600 Amphitheatre Pkwy','Hauptstraße 5, 3. OG','Calle de Alcalá, 42 — 2ºB','Apt #4, 77 O\'Connell St.','P.O. Box 1234','Unit 3/15 King St','Flat 2, 10 Union Street','5-1-2 Ginza, Chuo-ku']
def email(n): return ''.join(c for c in n.lower().replace(' ','.') if c.isascii() and (c.isalnum() or c=='.'))[:20].strip('.')+'@example.com'
for i in range(70):
    kind=random.randrange(6)
    if kind==0: add('GET','/v2/products?'+q({'q':random.choice(SEARCHES),'page':random.randint(1,9),'sort':random.choice(['price_asc','price_desc','relevance','-created_at'])}))
    elif kind==1:
        b={'items':[{'sku':f'SKU-{random.randint(1000,9999)}','name':random.choice(PRODUCTS),'qty':random.randint(1,3)} for _ in range(random.randint(1,4))],'coupon':random.choice(['','SPRING50','WELCOME-10','FREESHIP']),'shipping':{'name':random.choice(NAMES),'street':random.choice(STREETS),'city':random.choice(CITIES2),'zip':f'{random.randint(10000,99999)}','country':random.choice(['IE','DE','FR','BR','JP','US','PL'])},'gift_message':random.choice(['','Happy birthday, love from us all!','Merry Christmas 🎄','For the best dad — "world\'s okayest golfer"',"Don't open until the 25th!"])}
        add('POST','/v2/orders',json.dumps(b,ensure_ascii=False),'application/json')
    elif kind==2: add('GET',f'/v2/orders/ord_{random.randint(100000,999999)}?'+q({'expand':random.choice(['items','items,shipping','customer'])}))
    elif kind==3:
        b={'rating':random.randint(1,5),'title':random.choice(['Great value','Does what it says','Not as described','Meh','Perfect fit!','Returned it']),'body':random.choice(PROSE+CHAT),'author':random.choice(NAMES)}
        add('POST',f'/v2/products/{random.randint(1,500)}/reviews',json.dumps(b,ensure_ascii=False),'application/json')
    elif kind==4: add('PATCH',f'/v2/cart/{random.randint(1,99999)}',json.dumps({'op':random.choice(['add','remove','set']),'sku':f'SKU-{random.randint(1000,9999)}','qty':random.randint(0,5)}),'application/merge-patch+json')
    else: add('GET','/v2/products/search?'+q({'q':random.choice(SEARCHES),'filter[brand]':random.choice(['Logitech','Lodge','Hoka','Amazon']),'filter[price][lte]':random.choice(['20','49.99','100']),'fields':'id,name,price'}))
for i in range(60):
    kind=random.randrange(4)
    if kind==0:
        b={'summary':random.choice(['Team sync','1:1 with Dana','Dentist 🦷','Quarterly review — Q3','Lunch @ Tom & Jerry\'s','Flight DUB → FRA','Union meeting','Drop-off: kids at school','Sleep study appointment','Exec offsite (day 1)']),'start':f'2025-0{random.randint(1,9)}-1{random.randint(0,9)}T{random.randint(8,17):02d}:00:00+01:00','duration_min':random.choice([15,30,45,60,90]),'attendees':[email(random.choice(NAMES)) for _ in range(random.randint(1,3))],'location':random.choice(['Room 4.01','https://meet.example.com/xyz-abcd-efg','Café Central, Wien','','Zoom (link in invite)']),'recurrence':random.choice([None,'RRULE:FREQ=WEEKLY;BYDAY=MO,WE','RRULE:FREQ=MONTHLY;BYMONTHDAY=1']),'description':random.choice(PROSE)}
        add('POST','/calendar/v1/events',json.dumps(b,ensure_ascii=False),'application/json')
    elif kind==1: add('GET','/calendar/v1/events?'+q({'from':'2025-01-01T00:00:00Z','to':'2025-01-31T23:59:59Z','tz':random.choice(['Europe/Dublin','America/Sao_Paulo','Asia/Tokyo']),'q':random.choice(['sync','dentist','union','1:1',''])}))
    elif kind==2:
        b={'channel':random.choice(['general','random','ops-alerts','team-émoji']),'text':random.choice(CHAT),'thread_ts':random.choice([None,f'{random.randint(1700000000,1800000000)}.{random.randint(100000,999999)}']),'mentions':random.sample(['@dana','@tom','@here','@oncall'],k=random.randint(0,2))}
        add('POST','/chat/v1/messages',json.dumps(b,ensure_ascii=False),'application/json')
    else: add('GET','/chat/v1/search?'+q({'query':random.choice(CHAT)[:40],'in':'#general','limit':20}))
for i in range(60):
    kind=random.randrange(4)
    if kind==0:
        n=random.choice(NAMES)
        b={'first_name':n.split(' ')[0],'last_name':' '.join(n.split(' ')[1:]) or '-','email':email(n),'phone':random.choice(['+353 1 234 5678','+49 (0)30 1234567','+1-555-0100','(11) 91234-5678']),'company':random.choice(['O\'Reilly Media','Ben & Jerry\'s','AT&T','Procter & Gamble','Select Hotels Ltd','Union Bank','Exec Solutions GmbH','Drop Inc.']),'notes':random.choice(PROSE),'tags':random.sample(['lead','vip','newsletter','b2b','churn-risk'],k=2)}
        add('POST','/crm/v1/contacts',json.dumps(b,ensure_ascii=False),'application/json')
    elif kind==1: add('GET','/crm/v1/contacts?'+q({'filter':random.choice(['company eq "AT&T"','tags has vip','created_at gt 2024-01-01']),'order_by':random.choice(['last_name asc','created_at desc']),'limit':50}))
    elif kind==2: add('POST','/crm/v1/contacts/import',q({'source':'csv','mapping':'first_name,last_name,email','dedupe':'true','note':random.choice(PROSE)}),'application/x-www-form-urlencoded')
    else:
        b={'subject':random.choice(['Re: invoice #2024-118','Your quote','Follow-up: demo','Select the best plan for you','Union rates update']),'html':'<p>Hi '+random.choice(NAMES).split(' ')[0]+',</p><p>'+random.choice(PROSE).replace('&','&amp;').replace('<','&lt;')+'</p><p>Best,<br>Sales</p>','track_opens':True}
        add('POST','/crm/v1/emails',json.dumps(b,ensure_ascii=False),'application/json')
for i in range(60):
    kind=random.randrange(4)
    if kind==0:
        b={'title':random.choice(['Crash on startup with v2.4.1','Docs: typo in README','Feature request: dark mode','Login fails after password reset','Export to CSV drops the last row','Timezone off by one hour in reports']),'body':random.choice(MARKDOWN+CODE+PROSE),'labels':random.sample(['bug','docs','enhancement','good first issue','p1'],k=2)}
        add('POST',f'/repos/acme/{random.choice(["weather-app","shop-api","docs"])}/issues',json.dumps(b,ensure_ascii=False),'application/json')
    elif kind==1:
        b={'body':random.choice(['LGTM 👍','Could you add a test for the empty case?','Nit: rename `tmp` to `buffer`.','Rebased on main, please take another look.','This breaks on Windows paths like C:\\Users\\dana\\Documents.','Works for me on macOS 14.6 and Node 20.18.','See #123 for context.','Should we use `Array.prototype.map` here instead of a for loop?'])}
        add('POST',f'/repos/acme/weather-app/pulls/{random.randint(1,900)}/comments',json.dumps(b,ensure_ascii=False),'application/json')
    elif kind==2: add('GET','/repos/acme/weather-app/commits?'+q({'sha':random.choice(['main','release/2.4','feature/dark-mode']),'path':random.choice(['src/app.ts','docs/README.md','package.json']),'since':'2024-11-01T00:00:00Z'}))
    else: add('GET','/search/code?'+q({'q':random.choice(['reduce in:file language:typescript','TODO repo:acme/weather-app','"select your plan" in:file','filename:Dockerfile']),'per_page':30}))
# Deployment reality: behind load balancers and from local development, headers carry loopback
# and private addresses by design (X-Forwarded-For chains, Forwarded, X-Forwarded-Host, and the
# Referer/Origin of a front end served from localhost). None of this is an attack.
DEPLOYMENT_HEADERS=[
    {'X-Forwarded-For':'203.0.113.7, 10.0.3.14','X-Forwarded-Proto':'https','X-Forwarded-Port':'443'},
    {'X-Forwarded-For':'127.0.0.1'},
    {'X-Forwarded-For':'::1'},
    {'X-Real-IP':'192.168.1.20','Via':'1.1 10.0.0.3 (nginx)'},
    {'Forwarded':'for=192.0.2.60;proto=http;by=10.1.1.1'},
    {'X-Forwarded-Host':'localhost:8080'},
    {'Origin':'http://localhost:3000','Referer':'http://localhost:3000/stations?page=2'},
    {'Origin':'http://127.0.0.1:5173','Referer':'http://127.0.0.1:5173/'},
    {'Origin':'http://[::1]:8080','Referer':'http://[::1]:8080/settings'},
    {'Referer':'http://10.20.0.5:8080/admin/dashboard','X-Forwarded-For':'172.16.4.2'},
]
for i, extra in enumerate(DEPLOYMENT_HEADERS):
    if i%2==0: add('GET','/v1/stations?'+q({'near':'53.55,9.99','radius_km':25,'limit':20}),extra=extra)
    else: add('POST','/v1/stations/stn_0042/observations',json.dumps({'temperature_c':4.5,'note':random.choice(PROSE)},ensure_ascii=False),'application/json',extra=extra)
print(len(out))
with open('corpora/benign-api.jsonl','w') as f:
    for o in out: f.write(json.dumps(o,ensure_ascii=False)+'\n')
